#include "metrics/correlation.h"

#include <limits>
#include <numeric>

#include "core/runtime.h"
#include "metrics/registry.h"

namespace sanity {

namespace {

// The CPU's loop: sort each row, then walk its runs of equal values.
torch::Tensor average_ranks_loop(const torch::Tensor& rows) {
  torch::Tensor x = rows.to(torch::kFloat64).contiguous();
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

// The same ranks as tensor code on any device: in each sorted row, a run of equal values spans the
// 0-based positions [first, last]; first is the running maximum of the positions where a run starts,
// last the running minimum (from the right) of those where one ends. The mean rank (first + last) / 2
// + 1 is a multiple of 1/2 well within float64's integers: the loop's value exactly.
torch::Tensor average_ranks_tensor(const torch::Tensor& rows) {
  const auto [sorted, order] = rows.to(torch::kFloat64).sort(/*dim=*/1);
  const int64_t d = sorted.size(1);
  const torch::Tensor position = torch::arange(d, order.options()).expand_as(order);
  const torch::Tensor differs = sorted.narrow(1, 1, d - 1) != sorted.narrow(1, 0, d - 1);
  const torch::Tensor edge = torch::ones({sorted.size(0), 1}, differs.options());
  const torch::Tensor starts = torch::cat({edge, differs}, 1), ends = torch::cat({differs, edge}, 1);
  const torch::Tensor first = std::get<0>(torch::where(starts, position, 0).cummax(1));
  const torch::Tensor last = std::get<0>(torch::where(ends, position, d - 1).flip(1).cummin(1)).flip(1);
  const torch::Tensor mean_rank = (first + last).to(torch::kFloat64) * 0.5 + 1.0;
  return torch::empty_like(sorted).scatter_(1, order, mean_rank);
}

}  // namespace

torch::Tensor average_ranks(const torch::Tensor& rows) {
  if (rows.size(1) == 0) return torch::empty(rows.sizes(), rows.options().dtype(torch::kFloat64));
  return cpu_fast_path(rows) ? average_ranks_loop(rows) : average_ranks_tensor(rows);
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
