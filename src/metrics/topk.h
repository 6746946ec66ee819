#pragma once
// Top-k intersection: the fraction of the original's k most relevant pixels that are also among the
// k most relevant pixels of the other map. Ties are broken by position (the lower flat index counts
// as more relevant), so the score is deterministic also for maps with plateaus (a constant map's
// "top k" is its first k pixels).
#include <torch/types.h>

namespace sanity {

// Rows of two [N, D] tensors -> [N] float64 in [0, 1]; 1 for identical rows.
torch::Tensor topk_intersection_rows(const torch::Tensor& a, const torch::Tensor& b, int64_t k);
// The option k: a fraction of the d pixels when 0 < k < 1 (rounded, at least 1), else a count
// (a whole number <= d). Throws InputError otherwise.
int64_t topk_count(double k, int64_t d);

}  // namespace sanity
