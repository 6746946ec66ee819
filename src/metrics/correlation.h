#pragma once
// Rank and linear correlation per image: rows of two [N, D] tensors -> [N] float64.
// spearman_rows matches scipy.stats.spearmanr (ties get average ranks, as scipy.stats.rankdata);
// pearson_rows matches scipy.stats.pearsonr. A constant row has no correlation: NaN.
#include <torch/types.h>

namespace sanity {

// 1-based ranks per row, ties sharing the mean of their positions; float64, on the rows' device (the
// CPU's loop, or tensor code with the same values elsewhere: cpu_fast_path, core/runtime.h).
torch::Tensor average_ranks(const torch::Tensor& rows);
// Pearson correlation of each pair of rows, clamped to [-1, 1]; NaN where either row is constant.
torch::Tensor pearson_rows(const torch::Tensor& a, const torch::Tensor& b);
// Spearman rank correlation: Pearson of the average ranks.
torch::Tensor spearman_rows(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace sanity
