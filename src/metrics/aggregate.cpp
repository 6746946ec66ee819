#include "metrics/aggregate.h"

#include <cmath>
#include <limits>

namespace sanity {

Summary summarize(const std::vector<double>& scores) {
  Summary s;
  double sum = 0;
  for (double v : scores) {
    if (std::isnan(v)) {
      ++s.nan_count;
    } else {
      sum += v;
      ++s.count;
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.mean = s.count ? sum / static_cast<double>(s.count) : nan;
  if (s.count < 2) {
    s.std = nan;
    return s;
  }
  double ss = 0;  // two passes: no cancellation when scores are close to each other
  for (double v : scores)
    if (!std::isnan(v)) ss += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(ss / static_cast<double>(s.count - 1));
  return s;
}

Summary summarize(const torch::Tensor& scores) {
  torch::Tensor x = scores.to(torch::kCPU, torch::kFloat64).reshape({-1}).contiguous();
  return summarize(std::vector<double>(x.data_ptr<double>(), x.data_ptr<double>() + x.numel()));
}

}  // namespace sanity
