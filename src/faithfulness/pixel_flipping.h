#pragma once
// Pixel flipping / region perturbation (Samek et al. 2017): replace the regions of an image one per
// step, most relevant first (MoRF) and least relevant first (LeRF), and follow the target's score.
#include <nlohmann/json.hpp>

#include <string>

#include "core/settings.h"
#include "faithfulness/perturbation.h"

namespace sanity {

struct PixelFlippingOptions {
  int64_t patch = 9;                    // region side in pixels (Samek et al.: 9); 1: single pixels
  std::string replacement = "uniform";  // uniform, zero, mean, blur (perturbation.h)
  int64_t steps = 0;                    // regions replaced; 0: all (the curve has steps + 1 points)
  double blur_sigma = 4;                // Gaussian sigma in pixels for replacement=blur
  std::string score = "probability";    // what AOPC averages: probability (softmax) or logit

  // Throws InputError naming the option ("patch", "replacement", ...): pixel_flipping_settings().
  void validate() const;
  nlohmann::json to_json() const;
};

// The options' table (core/settings.h): config fields, CLI flags, Python arguments, docs.
const Settings<PixelFlippingOptions>& pixel_flipping_settings();

struct PixelFlippingResult {
  Tensor morf_logit, morf_prob, lerf_logit, lerf_prob;  // [N, L+1] float64; column 0: unperturbed
  Tensor aopc_morf, aopc_lerf;                          // [N] float64 (curves.h), on options.score
  // AOPC MoRF - AOPC LeRF, the area between the two curves (ABPC, Schulz et al. 2020). Any ordering
  // that ignores the model scores 0 in expectation (random maps: both curves are random orders),
  // where AOPC MoRF alone does not: perturbing anything lowers the score.
  Tensor aopc_gap;
};

// x [N, C, H, W] on any device; attributions of x's shape, the map whose region means (signed) give
// the order: pass |map| to order by magnitude (faithfulness.h chooses); targets [N] int64; ids [N] int64 image ids
// (they key the uniform noise). Every step of every image goes through the model in batches.
PixelFlippingResult pixel_flipping(const Graph& model, const Tensor& x, const Tensor& attributions,
                                   const Tensor& targets, const Tensor& ids, const PixelFlippingOptions& options,
                                   int64_t batch_size = 256, uint64_t seed = 0);

}  // namespace sanity
