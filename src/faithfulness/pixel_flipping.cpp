#include "faithfulness/pixel_flipping.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "faithfulness/curves.h"
#include "faithfulness/regions.h"

namespace sanity {

const Settings<PixelFlippingOptions>& pixel_flipping_settings() {
  using O = PixelFlippingOptions;
  static const Settings<O> table = Settings<O>()
      .integer("patch", &O::patch, "region side in pixels (1: single pixels)", Bounds::at_least(1))
      .choice("replacement", &O::replacement, replacement_names(), "what a perturbed region becomes")
      .integer("steps", &O::steps, "regions replaced (0: all)")
      .number("blur_sigma", &O::blur_sigma, "Gaussian sigma in pixels of replacement=blur", Bounds::above(0))
      .choice("score", &O::score, {"probability", "logit"}, "what AOPC averages: the softmax probability or the logit");
  return table;
}

void PixelFlippingOptions::validate() const {
  pixel_flipping_settings().validate(*this, [](const Setting& s) { return "pixel flipping option " + s.key; });
}

nlohmann::json PixelFlippingOptions::to_json() const { return pixel_flipping_settings().to_json(*this); }

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
