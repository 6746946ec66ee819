#pragma once
// SmoothGrad and VarGrad over any registered method M (docs/DEFINITIONS.md "Attribution methods"):
//   SmoothGrad(M) = (1/n) sum_i M(x + g_i),   VarGrad(M) = (1/n) sum_i (M(x + g_i) - SmoothGrad(M))^2,
// g_i ~ N(0, sigma_x^2), sigma_x = sigma * (max(x) - min(x)) of that image. The noise for an image
// comes from derive_seed(ctx.seed, "smoothgrad", image id): the same samples whatever the batching,
// and the same for smoothgrad(M) and vargrad(M) with equal n, sigma and seed, so both summarize
// one set of noisy copies. Noisy copies of all images go through M in batches of ctx.batch_size.
// The registered smoothgrad / vargrad methods keep both statistics of each pass in a small cache
// (keyed by M, n, sigma, seed, batch size, images, targets and the model's weights), so running both
// on the same images costs one pass.
#include "attribution/registry.h"

namespace sanity {

struct NoiseTunnelResult {
  Tensor mean;      // SmoothGrad
  Tensor variance;  // VarGrad (population variance); undefined unless asked for
};

NoiseTunnelResult noise_tunnel(const Method& inner, const AttributionContext& ctx, const Tensor& x,
                               const Tensor& targets, int64_t n, double sigma, bool want_variance);

// Forgets the cached passes: for tests that compare what two schedules compute themselves.
void forget_noise_tunnel_results();

// The options every noise tunnel takes: n (50), sigma (0.15).
const std::vector<Option>& noise_tunnel_options();

}  // namespace sanity
