#pragma once
// src/randomization: which layers each stage of a parameter randomization check re-initializes, and how.
//
// Randomization stages: which layers are re-initialized at each stage of each check.
//   cascading    stage k randomizes the k top-most layer groups (logits first): Adebayo et al.
//   bottom_up    stage k randomizes the k lowest groups (Quantus's bottom_up; sMPRT's default)
//   independent  stage k randomizes group k alone, all others trained
// Stage 0 is always the trained model. A "group" is one parameterized layer by default, or a block
// (every parameterized layer under a module path such as Mixed_7c or layer4) when the user lists them.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/graph.h"
#include "randomization/reinit.h"

namespace sanity {

enum class RandomizationOrder { Cascading, BottomUp, Independent };
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
// that order, each holding every parameterized node whose name or module path starts with it; or,
// for the single name "blocks", the model's own blocks (module_groups).
// Throws InputError for a name that matches no parameterized layer.
std::vector<LayerGroup> layer_groups(const Graph& graph, const std::vector<std::string>& names = {});

// Groups by PyTorch module path, output to input. A sequence is a module whose children are all
// numbered alike (an nn.Sequential or ModuleList of blocks: "features" with 0 ... 7, "encoder.layers"
// with encoder_layer_0 ... 11, "layer4" with 0, 1, 2); a layer's block is the element of the first
// sequence on its path, and of the sequences nested right below it: a ViT's encoder_layer_11,
// ConvNeXt's and Swin's features.1.0, ResNet's layer4.2, DenseNet's denseblock4.denselayer16, VGG's
// features.28. Layers on no sequence group by their top-level module: Inception v3's Mixed_7c ...
// Conv2d_1a_3x3 and fc, the paper's 17 stages; a ViT's heads and encoder.ln. Embedding parameters
// outside any block (a ViT's class token and position embedding) join the layer below them, the
// patch embedding (docs/DEFINITIONS.md "Transformers").
std::vector<LayerGroup> module_groups(const Graph& graph);

// The stages of one check, stage 0 first.
std::vector<Stage> plan_stages(const std::vector<LayerGroup>& groups_top_down, RandomizationOrder order);

// A copy of `trained` with the stage's layers re-initialized.
Graph stage_model(const Graph& trained, const Stage& stage, const ReinitOptions& options);

// The same weights on `trained`'s own layer objects (Graph::share), but for the re-initialized
// layers: those come from `fresh` (node -> that layer re-initialized; filled on first use, so every
// stage that re-initializes a node shares one copy of it: the draw depends on the node alone). Cascading
// stage k then costs its k new layers once, and its forward pass can start from the trained model's
// values below them (models/activation_reuse.h).
Graph shared_stage_model(const Graph& trained, const Stage& stage, const ReinitOptions& options,
                         std::map<int, std::shared_ptr<Layer>>& fresh);

}  // namespace sanity
