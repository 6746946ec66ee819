#pragma once
// The models of parameter randomization's stages in one check run, each built once: the trained model
// with the stage's layers re-initialized, on the trained model's own layer objects but for those, every
// re-initialized layer drawn once for all the stages that re-initialize it (randomization/stages.h:
// shared_stage_model). What is kept:
//   planned   the stages each method's units will explain in this process (plan()), built with their
//             targets when first asked for, so that the trained model's maps (ExplanationCache::
//             original) and accuracy come with theirs in one sweep over the images
//   current   the model and targets of the stage whose units are computed (units of a stage usually
//             follow each other), one stage at a time
//   accuracy  by weights fingerprint: the trained model is stage 0 of several checks, and independent
//             randomization's first stage is cascading's
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "randomization/stages.h"

namespace sanity {

class CheckContext;

// The model a stage explains and the classes it explains.
struct StageModel {
  Graph model;
  Tensor targets;
};

// A planned stage's model, with the keys of what is cached of it.
struct PlannedStageModel : StageModel {
  ContentKey::Digest fingerprint;  // model_fingerprint: the accuracy's key
  ContentKey::Digest key;          // of (fingerprint, targets): the maps' key with the method (ExplanationCache)
};

class StageModels {
 public:
  // Reads the trained model, configuration and targets of `c`, which outlives this.
  explicit StageModels(const CheckContext& c) : c_(c) {}

  // The trained model with the stage's layers re-initialized (stage 0 shares every layer).
  Graph build(const Stage& s) const;

  // The stages (Check::explains_stage_models) still to compute for each method, by canonical spec;
  // only where this process computes every unit it plans (not in a distributed run).
  void plan(std::map<std::string, std::vector<Stage>> stages_by_method);
  // Those of one method, in plan order (null: none planned).
  const std::vector<Stage>* planned(const std::string& method) const;
  // A planned stage's model, built on first use and kept for the run.
  const PlannedStageModel& planned_model(const Stage& s);

  // The model and targets of a check's stage, built by `make` unless they are the last ones asked for.
  const StageModel& current(const std::string& check, int64_t stage, const std::function<StageModel()>& make);

  // Test accuracy of `model` on `images`; the trained model's comes with every planned model's.
  double accuracy(const Graph& model, const Tensor& images, const Tensor& labels);

 private:
  const CheckContext& c_;
  // Every re-initialized layer, by node, shared by the stage models.
  mutable std::map<int, std::shared_ptr<Layer>> fresh_layers_;
  std::map<std::string, std::vector<Stage>> plan_;
  std::map<std::vector<int>, PlannedStageModel> planned_models_;  // by re-initialized nodes
  std::pair<std::string, int64_t> current_key_;
  std::optional<StageModel> current_;
  std::map<ContentKey::Digest, double> accuracies_;  // by model_fingerprint
};

}  // namespace sanity
