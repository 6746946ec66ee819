#include "study/checks/explanation_cache.h"

#include <algorithm>
#include <filesystem>

#include "attribution/explain_batch.h"
#include "attribution/pattern.h"
#include "core/error.h"
#include "core/rng.h"
#include "models/fingerprint.h"
#include "results/checked_npy.h"
#include "study/checks/context.h"
#include "study/checks/stage_models.h"

namespace sanity {

Tensor ExplanationCache::original(const PreparedMethod& m) {
  auto it = originals_.find(m.spec);
  if (it != originals_.end()) return it->second;
  const std::string path =
      c_.config().out_dir + "/cache/" + std::to_string(c_.run()) + "/original/" + m.file + ".npy";
  Tensor e;
  try {
    if (std::filesystem::exists(path)) e = read_checked_npy(path).to(c_.trained().device());
  } catch (const InputError&) {  // a cache that fails its checksum is computed again
  }
  if (!e.defined()) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    c_.status("original explanations: " + m.spec);
    e = explain_with_stages(m);
    write_checked_npy(path, e);
  }
  originals_[m.spec] = e;
  return e;
}

// The trained model's maps of m, and those of its planned stages into stage_maps_ (as far as the
// budget allows), in one interleaved sweep over the images.
Tensor ExplanationCache::explain_with_stages(const PreparedMethod& m) {
  const ExplainOptions o = c_.explain_options();
  const std::vector<Stage>* planned = stages_.planned(m.spec);
  // Not for methods that fit on data (one fit per model state: interleaving them would refit) nor for
  // a new randomization per image (its models are drawn per image in explain()).
  if (!planned || c_.config().reinit.per_image || !m.method->uses_model() || fits_on_data(m.method->spec()))
    return explain_all(*m.method, c_.trained(), c_.images(), c_.trained_targets(), c_.ids(), o);
  std::vector<const Graph*> models{&c_.trained()};
  std::vector<Tensor> targets{c_.trained_targets()};
  std::vector<std::pair<std::string, ContentKey::Digest>> keys;
  size_t bytes = stage_map_bytes_;
  for (const Stage& s : *planned) {
    if (s.randomized.empty()) continue;
    const PlannedStageModel& p = stages_.planned_model(s);
    const std::pair<std::string, ContentKey::Digest> key{m.spec, p.key};
    if (stage_maps_.count(key) || std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    bytes += c_.images().nbytes();  // the maps have the images' shape, or fewer channels
    if (bytes > kStageMapBytes) break;
    models.push_back(&p.model);
    targets.push_back(p.targets);
    keys.push_back(key);
  }
  const std::vector<Tensor> maps = explain_together(*m.method, models, c_.images(), targets, c_.ids(), o);
  for (size_t k = 0; k < keys.size(); ++k) {
    stage_maps_[keys[k]] = maps[k + 1];
    stage_map_bytes_ += maps[k + 1].nbytes();
  }
  return maps[0];
}

Tensor ExplanationCache::explain(const PreparedMethod& m, const Graph& model, const Tensor& targets,
                                 const Stage& stage, const std::string& check) {
  if (c_.config().reinit.per_image && !stage.randomized.empty()) return explain_per_image(m, targets, stage, check);
  const std::pair<std::string, ContentKey::Digest> key{m.spec, ContentKey().add(model_fingerprint(model)).add(targets).digest()};
  if (auto it = stage_maps_.find(key); it != stage_maps_.end()) return it->second;
  Tensor e = explain_all(*m.method, model, c_.images(), targets, c_.ids(), c_.explain_options());
  if (stage_map_bytes_ + e.nbytes() <= kStageMapBytes) {
    stage_maps_[key] = e;
    stage_map_bytes_ += e.nbytes();
  }
  return e;
}

// The stage's layers re-drawn for each image from a seed derived from the image id.
Tensor ExplanationCache::explain_per_image(const PreparedMethod& m, const Tensor& targets, const Stage& stage,
                                           const std::string& check) const {
  const ExplainOptions o = c_.explain_options();
  const ReinitOptions& reinit = c_.config().reinit;
  Tensors parts;
  for (int64_t i = 0; i < c_.images().size(0); ++i) {
    ReinitOptions r = reinit;
    r.seed = derive_seed(reinit.seed, "per_image:" + check, static_cast<uint64_t>(c_.ids()[i].item<int64_t>()));
    Graph g = stage_model(c_.trained(), stage, r);
    parts.push_back(explain_all(*m.method, g, c_.images().narrow(0, i, 1), targets.narrow(0, i, 1),
                                c_.ids().narrow(0, i, 1), o));
  }
  return torch::cat(parts, 0);
}

}  // namespace sanity
