#pragma once
// Mean and standard deviation of per-image scores over a test bed, the papers' curve and its band.
// NaN scores (undefined: a constant map's correlation) are skipped and counted, not propagated.
#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace sanity {

struct Summary {
  double mean = 0;   // NaN when no score is defined
  double std = 0;    // sample standard deviation (n - 1); NaN when fewer than 2 scores are defined
  int64_t count = 0; // defined (non-NaN) scores used
  int64_t nan_count = 0;
};

Summary summarize(const std::vector<double>& scores);
// scores: any shape, any floating dtype and device.
Summary summarize(const torch::Tensor& scores);

}  // namespace sanity
