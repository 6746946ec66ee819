#include "study/checks/stage_models.h"

#include <algorithm>

#include "models/fingerprint.h"
#include "models/train.h"
#include "study/checks/context.h"

namespace sanity {

Graph StageModels::build(const Stage& s) const {
  return shared_stage_model(c_.trained(), s, c_.config().reinit, fresh_layers_);
}

void StageModels::plan(std::map<std::string, std::vector<Stage>> stages_by_method) {
  plan_ = std::move(stages_by_method);
}

const std::vector<Stage>* StageModels::planned(const std::string& method) const {
  const auto it = plan_.find(method);
  return it == plan_.end() ? nullptr : &it->second;
}

const PlannedStageModel& StageModels::planned_model(const Stage& s) {
  auto it = planned_models_.find(s.randomized);
  if (it == planned_models_.end()) {
    Graph g = build(s);
    Tensor t = c_.targets_for(g);
    const ContentKey::Digest fingerprint = model_fingerprint(g);
    PlannedStageModel p{{std::move(g), t}, fingerprint, ContentKey().add(fingerprint).add(t).digest()};
    it = planned_models_.emplace(s.randomized, std::move(p)).first;
  }
  return it->second;
}

const StageModel& StageModels::current(const std::string& check, int64_t stage,
                                       const std::function<StageModel()>& make) {
  if (!current_ || current_key_ != std::make_pair(check, stage)) {
    current_.reset();  // one model at a time
    current_ = make();
    current_key_ = {check, stage};
  }
  return *current_;
}

// The trained model's accuracy (stage 0, asked first) comes with those of the planned stage models,
// in one sweep over the images that passes each batch through every model: their passes start from
// the trained model's values below their first re-initialized layer (models/activation_reuse.h).
double StageModels::accuracy(const Graph& model, const Tensor& images, const Tensor& labels) {
  const ContentKey::Digest key = model_fingerprint(model);
  if (auto it = accuracies_.find(key); it != accuracies_.end()) return it->second;
  std::vector<const Graph*> models{&model};
  std::vector<ContentKey::Digest> keys{key};
  if (key == model_fingerprint(c_.trained()))
    for (const auto& [method, stages] : plan_)
      for (const Stage& s : stages) {
        if (s.randomized.empty()) continue;
        const PlannedStageModel& p = planned_model(s);
        if (accuracies_.count(p.fingerprint) || std::count(keys.begin(), keys.end(), p.fingerprint)) continue;
        models.push_back(&p.model);
        keys.push_back(p.fingerprint);
      }
  const std::vector<double> values = accuracies(models, images, labels, c_.batch_size());
  for (size_t k = 0; k < keys.size(); ++k) accuracies_[keys[k]] = values[k];
  return values[0];
}

}  // namespace sanity
