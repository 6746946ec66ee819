#pragma once
// src/randomization: which layers each stage of a parameter randomization check re-initializes, and how.
//
// Randomization stages: which layers are re-initialized at each stage of each check.
//   cascading    stage k randomizes the k top-most layer groups (logits first): Adebayo et al.
//   bottom_up    stage k randomizes the k lowest groups (Quantus's bottom_up; sMPRT's default)
//   independent  stage k randomizes group k alone, all others trained
// Stage 0 is always the trained model. A "group" is one parameterized layer by default, or a block
// (every parameterized layer under a module path such as Mixed_7c or layer4) when the user lists them.
#include <string>
#include <vector>

#include "models/graph.h"
#include "randomization/reinit.h"

namespace sanity {

enum class RandomizationOrder { Cascading, BottomUp, Independent };
RandomizationOrder parse_randomization_order(const std::string& name);  // cascading|bottom_up|independent
std::string to_string(RandomizationOrder o);

struct LayerGroup {
  std::string name;
  std::vector<int> nodes;  // parameterized nodes in the group
};

struct Stage {
  int index = 0;             // 0 = trained model
  std::string name;          // "original", or the group randomized last (cascading) / alone (independent)
  std::vector<int> randomized;
};

// One group per parameterized layer, output to input; or, if `names` is given, one group per name in
// that order, each holding every parameterized node whose name or module path starts with it.
// Throws InputError for a name that matches no parameterized layer.
std::vector<LayerGroup> layer_groups(const Graph& graph, const std::vector<std::string>& names = {});

// The stages of one check, stage 0 first.
std::vector<Stage> plan_stages(const std::vector<LayerGroup>& groups_top_down, RandomizationOrder order);

// A copy of `trained` with the stage's layers re-initialized.
Graph stage_model(const Graph& trained, const Stage& stage, const ReinitOptions& options);

}  // namespace sanity
