#pragma once
// The maps a check run would otherwise compute more than once, kept where they are provably the same
// bits (docs/ARCHITECTURE.md, "Caches"):
//   original(m)  the trained model's maps of method m, in memory and on disk under
//                OUT/cache/<run>/original/<m>.npy (checksummed; resume compares against the same maps);
//                computed together with the stages planned for m (StageModels::plan), chunk by chunk
//                (attribution/explain_batch.h: explain_together), whose maps then wait for their units
//   explain(...) maps of a stage's model, in memory by (method, weights fingerprint, targets) up to
//                1 GiB, so independent randomization's first stage reuses cascading's; a randomized
//                model always has another fingerprint, so it never reads a stale entry
#include <cstddef>
#include <map>
#include <string>
#include <utility>

#include "core/hash.h"
#include "randomization/stages.h"

namespace sanity {

class CheckContext;
class StageModels;
struct PreparedMethod;

class ExplanationCache {
 public:
  // Reads the test bed, configuration and run of `c`, and the planned models of `stages`; both outlive this.
  ExplanationCache(const CheckContext& c, StageModels& stages) : c_(c), stages_(stages) {}

  Tensor original(const PreparedMethod& m);
  // Maps of `model` for a stage of `check`: with a new randomization per image (ReinitOptions::
  // per_image), the stage's layers re-drawn for each image and nothing kept.
  Tensor explain(const PreparedMethod& m, const Graph& model, const Tensor& targets, const Stage& stage,
                 const std::string& check);

 private:
  Tensor explain_with_stages(const PreparedMethod& m);
  Tensor explain_per_image(const PreparedMethod& m, const Tensor& targets, const Stage& stage,
                           const std::string& check) const;

  const CheckContext& c_;
  StageModels& stages_;
  static constexpr size_t kStageMapBytes = size_t{1} << 30;
  std::map<std::pair<std::string, ContentKey::Digest>, Tensor> stage_maps_;  // by (method spec, PlannedStageModel::key)
  size_t stage_map_bytes_ = 0;
  std::map<std::string, Tensor> originals_;  // by method spec
};

}  // namespace sanity
