#pragma once
// eMPRT, the efficient model parameter randomization test of Hedstroem et al. 2023, as Quantus
// implements it (docs/DEFINITIONS.md, "Randomization checks"): (H(e_random) - H(e)) / H(e), H the
// discrete entropy of the 100-bin histogram of |e| over its range, e from the trained and e_random
// from the fully randomized model.
// Higher is better: randomizing the model should make a faithful explanation more disordered.
#include <torch/types.h>

namespace sanity {

// Discrete entropy (nats) of the `bins`-bin histogram of |e| per image: [N] float64 on the maps'
// device (the CPU's per-image histc, or the same bins as tensor code elsewhere: cpu_fast_path).
torch::Tensor histogram_entropy(const torch::Tensor& maps, int64_t bins = 100);
// eMPRT per image: [N] float64; NaN where the trained map is constant (H(e) = 0).
torch::Tensor emprt_scores(const torch::Tensor& trained_maps, const torch::Tensor& randomized_maps);

}  // namespace sanity
