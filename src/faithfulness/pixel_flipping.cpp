#include "faithfulness/pixel_flipping.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "faithfulness/curves.h"
#include "faithfulness/regions.h"

namespace sanity {

void PixelFlippingOptions::validate() const {
  if (patch < 1) throw InputError("pixel flipping option patch = " + std::to_string(patch) + ": expected at least 1 pixel");
  parse_replacement(replacement, "pixel flipping option replacement =");
  if (steps < 0) throw InputError("pixel flipping option steps = " + std::to_string(steps) + ": expected >= 0 (0: all regions)");
  if (!(blur_sigma > 0)) throw InputError("pixel flipping option blur_sigma: expected a positive number of pixels");
  if (score != "probability" && score != "logit")
    throw InputError("pixel flipping option score = " + score + ": expected probability or logit");
}

nlohmann::json PixelFlippingOptions::to_json() const {
  return {{"patch", patch}, {"replacement", replacement}, {"steps", steps}, {"blur_sigma", blur_sigma}, {"score", score}};
}

PixelFlippingResult pixel_flipping(const Graph& model, const Tensor& x, const Tensor& attributions,
                                   const Tensor& targets, const Tensor& ids, const PixelFlippingOptions& options,
                                   int64_t batch_size, uint64_t seed) {
  options.validate();
  if (attributions.sizes() != x.sizes()) throw InputError("pixel flipping: attributions must have the input's shape");
  const int64_t regions = region_count(x.size(2), x.size(3), options.patch);
  // One region is the whole image: every method would get the same two-point curve.
  if (regions < 2)
    throw InputError("pixel flipping option patch = " + std::to_string(options.patch) + ": one patch covers the whole " +
                     std::to_string(x.size(2)) + " x " + std::to_string(x.size(3)) + " image; expected 1 to " +
                     std::to_string(std::max(x.size(2), x.size(3)) - 1) + " pixels");
  const int64_t steps = options.steps == 0 ? regions : std::min(options.steps, regions);
  std::vector<int64_t> thresholds;
  for (int64_t k = 0; k <= steps; ++k) thresholds.push_back(k);

  const Tensor replacement =
      replacement_values(x, parse_replacement(options.replacement, "replacement"), ids, seed, options.blur_sigma,
                         "pixel_flipping");
  PixelFlippingResult r;
  const PathScores morf = score_path(model, x, replacement, pixel_ranks(attributions, options.patch, PerturbationOrder::MoRF),
                                     thresholds, targets, batch_size);
  const PathScores lerf = score_path(model, x, replacement, pixel_ranks(attributions, options.patch, PerturbationOrder::LeRF),
                                     thresholds, targets, batch_size);
  r.morf_logit = morf.logit;
  r.morf_prob = morf.probability;
  r.lerf_logit = lerf.logit;
  r.lerf_prob = lerf.probability;
  const bool prob = options.score == "probability";
  r.aopc_morf = aopc(prob ? r.morf_prob : r.morf_logit);
  r.aopc_lerf = aopc(prob ? r.lerf_prob : r.lerf_logit);
  r.aopc_gap = r.aopc_morf - r.aopc_lerf;
  return r;
}

}  // namespace sanity
