#pragma once
// The MPRT variants of Hedstroem et al. 2023, as Quantus implements them (PROTOCOLS.md):
//   sMPRT  each explanation is first averaged over N noisy copies of the input (noise sigma =
//          sigma_fraction * (max(x) - min(x)), the last copy noise-free), then divided by the square
//          root of its mean square and made absolute; then compared as in MPRT (bottom-up by default).
//   eMPRT  (H(e_random) - H(e)) / H(e), H = discrete entropy of the 100-bin histogram of |e| over its
//          range, e from the trained and e_random from the fully randomized model. Higher is better.
#include "attribution/method.h"

namespace sanity {

struct SmoothingOptions {
  int64_t samples = 50;
  double sigma_fraction = 0.1;
  int64_t batch_size = 256;
  uint64_t seed = 0;
};

// sMPRT's smoothed, normalized, absolute explanations [N, C, H, W] on the CPU.
Tensor smprt_explanations(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                          const Tensor& ids, const SmoothingOptions& options);

// Discrete entropy (nats) of the 100-bin histogram of |e| per image: [N] float64.
Tensor histogram_entropy(const Tensor& maps, int64_t bins = 100);
// eMPRT per image: [N] float64.
Tensor emprt_scores(const Tensor& trained_maps, const Tensor& randomized_maps);

}  // namespace sanity
