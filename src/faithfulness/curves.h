#pragma once
// Summaries of perturbation curves. A curve is [N, K+1] float64: one row per image, column k the
// target score after k perturbation steps (column 0: the unperturbed image).
#include <torch/types.h>

namespace sanity {

// Area over the MoRF perturbation curve (Samek et al. 2017, eq. 12), per image:
//   AOPC = 1/(L+1) * sum_{k=0..L} (S_c(x^(0)) - S_c(x^(k)))
// with x^(k) the image after its first k regions are replaced (x^(0) = x, so the k = 0 term is 0)
// and L the number of steps. Large for MoRF when the ordering finds the evidence; applied to a LeRF
// curve it should be small (or negative). [N, L+1] -> [N].
torch::Tensor aopc(const torch::Tensor& curve);

// Area under a curve sampled at the K+1 equally spaced fractions 0, 1/K, ..., 1 of the pixels
// (trapezoid rule, as Petsiuk et al.'s code): (sum_k c_k - (c_0 + c_K) / 2) / K. [N, K+1] -> [N].
torch::Tensor area_under_curve(const torch::Tensor& curve);

}  // namespace sanity
