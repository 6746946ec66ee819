#pragma once
// Cosine similarity and mean squared error per image: rows of two [N, D] tensors -> [N] float64.
#include <torch/types.h>

namespace sanity {

// <a, b> / (|a| |b|), clamped to [-1, 1]; NaN where either row is all zero.
torch::Tensor cosine_rows(const torch::Tensor& a, const torch::Tensor& b);
// mean over the row of (a - b)^2; 0 for identical rows (lower = more similar).
torch::Tensor mse_rows(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace sanity
