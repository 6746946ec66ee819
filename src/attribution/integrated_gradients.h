#pragma once
// Integrated Gradients (Sundararajan et al. 2017), as docs/DEFINITIONS.md "Attribution methods"
// defines it:
//   E = (x - x') * sum_k w_k dS_c/dx (x' + a_k (x - x')),
// the authors' default being m = 50 points a_k = linspace(0, 1, 50) with equal weights 1/m.
// Every step of every image goes through the network in batches of ctx.batch_size rows, and the
// completeness gap sum E - (S_c(x) - S_c(x')) is reported per image through ctx.diagnostics.
#include <string>
#include <vector>

#include "attribution/method.h"
#include "core/options.h"

namespace sanity {

// Points a_k in [0, 1] and weights w_k (summing to 1) of a quadrature rule for the path integral:
//   linspace  (default, the authors'): linspace(0, 1, m), weights 1/m
//   left / right / midpoint:           Riemann sums at k/m, (k+1)/m, (k+1/2)/m, weights 1/m
//   trapezoid:                         linspace(0, 1, m), weights 1/(m-1), halved at both ends
struct Quadrature {
  std::vector<double> alphas, weights;
};
const std::vector<std::string>& quadrature_rules();
Quadrature make_quadrature(const std::string& rule, int64_t steps);

// The baseline x' per image: "zero" (the model's input-space zero), "uniform" (i.i.d. uniform
// noise in [min x, max x] of that image, drawn from (seed, image id)), "blur" (x blurred by a
// Gaussian of blur_sigma pixels, replicate borders).
const std::vector<std::string>& ig_baselines();
Tensor ig_baseline(const std::string& kind, const Tensor& x, const Tensor& image_ids, uint64_t seed,
                   double blur_sigma);

// Gaussian blur of [N, C, H, W] per channel; kernel radius ceil(3 sigma), replicate padding.
Tensor gaussian_blur(const Tensor& x, double sigma);

// steps (50), baseline (zero), rule (linspace), blur_sigma (5, only with baseline=blur).
const std::vector<Option>& integrated_gradients_options();
MethodPtr make_integrated_gradients(const MethodSpec& resolved);

}  // namespace sanity
