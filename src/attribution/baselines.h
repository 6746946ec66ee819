#pragma once
// Baselines the papers compare explanations against; none of them looks at the model
// (Method::uses_model() is false), which is the point: a sanity check must tell them apart from
// methods that do.
//   sobel:    the Sobel gradient magnitude sqrt(gx^2 + gy^2) of each input channel (3x3 kernels
//             [1 2 1] x [-1 0 1], borders replicated as scipy.ndimage's default): the NeurIPS
//             paper's edge detector.
//   noise:    i.i.d. pixels (zero pixel-wise covariance, Binder et al. 2023), N(0, 1) or U(0, 1),
//             drawn per image from (seed, image id).
//   constant: every element equal to `value` (1).
#include "attribution/method.h"

namespace sanity {

// Sobel edge magnitude per channel of [N, C, H, W].
Tensor sobel_magnitude(const Tensor& x);

}  // namespace sanity
