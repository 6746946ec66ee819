#include "metrics/correlation.h"

#include <limits>
#include <numeric>

#include "metrics/registry.h"

namespace sanity {

torch::Tensor average_ranks(const torch::Tensor& rows) {
  torch::Tensor x = rows.to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t n = x.size(0), d = x.size(1);
  torch::Tensor ranks = torch::empty_like(x);
  std::vector<int64_t> order(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) {
    const double* v = x.data_ptr<double>() + i * d;
    double* r = ranks.data_ptr<double>() + i * d;
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [v](int64_t a, int64_t b) { return v[a] < v[b]; });
    // Each run of equal values [start, end) gets the mean of the 1-based positions start+1 .. end.
    for (int64_t start = 0, end = 0; start < d; start = end) {
      while (end < d && v[order[end]] == v[order[start]]) ++end;
      const double mean_rank = 0.5 * static_cast<double>(start + 1 + end);
      for (int64_t k = start; k < end; ++k) r[order[k]] = mean_rank;
    }
  }
  return ranks;
}

torch::Tensor pearson_rows(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor x = a.to(torch::kFloat64), y = b.to(x.device(), torch::kFloat64);
  // Checked exactly rather than through a zero variance: the mean of equal floats can be off by an
  // ulp, which would turn a constant map into a spurious +-1.
  torch::Tensor constant = (x.amax(1) == x.amin(1)) | (y.amax(1) == y.amin(1));
  x = x - x.mean(1, true);
  y = y - y.mean(1, true);
  torch::Tensor r = (x * y).sum(1) / ((x * x).sum(1) * (y * y).sum(1)).sqrt();
  return at::where(constant, std::numeric_limits<double>::quiet_NaN(), r.clamp(-1.0, 1.0));
}

torch::Tensor spearman_rows(const torch::Tensor& a, const torch::Tensor& b) {
  return pearson_rows(average_ranks(a), average_ranks(b));
}

void register_correlation_metrics(MetricRegistry& r) {
  r.add(rowwise_metric_info("spearman_abs", "Spearman rank correlation of the absolute-prepared maps",
                            Direction::HigherIsMoreSimilar, Preparation::Absolute, false, spearman_rows));
  r.add(rowwise_metric_info("spearman", "Spearman rank correlation of the signed-prepared maps (sign kept)",
                            Direction::HigherIsMoreSimilar, Preparation::Signed, false, spearman_rows));
  r.add(rowwise_metric_info("pearson", "Pearson correlation of the prepared maps", Direction::HigherIsMoreSimilar,
                            Preparation::Absolute, true, pearson_rows));
}

}  // namespace sanity
