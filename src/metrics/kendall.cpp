// Kendall's tau-b between two maps, per image, in O(D log D) (Knight 1966, as scipy.stats.kendalltau
// computes it): sort the pixels by (a, b); pairs tied in a contribute no discordance, so the
// discordant pairs are the inversions of b in that order, counted by merge sort. With T_a, T_b the
// pairs tied in a (in b) and T_ab those tied in both, out of D(D-1)/2:
//   tau_b = (pairs - T_a - T_b + T_ab - 2 discordant) / sqrt((pairs - T_a)(pairs - T_b)).
// A rank correlation that, unlike Spearman's, counts pixel pairs: a map's order matters, not how far
// ranks move. NaN when either map is constant.
#include <cmath>
#include <limits>
#include <numeric>

#include <ATen/Parallel.h>

#include "metrics/registry.h"

namespace sanity {
namespace {

// Inversions (i < j with v[i] > v[j]) of v, which is sorted in place.
int64_t inversions(std::vector<double>& v, std::vector<double>& buffer) {
  int64_t count = 0;
  const size_t n = v.size();
  buffer.resize(n);
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {
          count += static_cast<int64_t>(mid - i);
          buffer[k++] = v[j++];
        } else {
          buffer[k++] = v[i++];
        }
      }
      while (i < mid) buffer[k++] = v[i++];
      while (j < hi) buffer[k++] = v[j++];
    }
    std::swap(v, buffer);
  }
  return count;
}

// Pairs within runs of equal values of a sorted sequence, through `same(i - 1, i)`.
template <class Same>
int64_t tied_pairs(size_t n, Same same) {
  int64_t pairs = 0, run = 1;
  for (size_t i = 1; i <= n; ++i) {
    if (i < n && same(i - 1, i)) {
      ++run;
      continue;
    }
    pairs += run * (run - 1) / 2;
    run = 1;
  }
  return pairs;
}

double kendall_tau_b(const double* a, const double* b, size_t n) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return a[i] < a[j] || (a[i] == a[j] && b[i] < b[j]); });
  std::vector<double> bs(n), buffer;
  for (size_t k = 0; k < n; ++k) bs[k] = b[order[k]];
  const int64_t tie_a = tied_pairs(n, [&](size_t i, size_t j) { return a[order[i]] == a[order[j]]; });
  const int64_t tie_ab = tied_pairs(n, [&](size_t i, size_t j) { return a[order[i]] == a[order[j]] && bs[i] == bs[j]; });
  const int64_t discordant = inversions(bs, buffer);  // leaves bs sorted
  const int64_t tie_b = tied_pairs(n, [&](size_t i, size_t j) { return bs[i] == bs[j]; });
  const int64_t pairs = static_cast<int64_t>(n) * static_cast<int64_t>(n - 1) / 2;
  if (n < 2 || tie_a == pairs || tie_b == pairs) return std::numeric_limits<double>::quiet_NaN();
  const double num = static_cast<double>(pairs - tie_a - tie_b + tie_ab - 2 * discordant);
  const double tau = num / std::sqrt(static_cast<double>(pairs - tie_a)) / std::sqrt(static_cast<double>(pairs - tie_b));
  return std::clamp(tau, -1.0, 1.0);
}

torch::Tensor kendall_rows(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.to(torch::kCPU, torch::kFloat64).contiguous(), y = b.to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t rows = x.size(0), d = x.size(1);
  torch::Tensor out = torch::empty({rows}, torch::kFloat64);
  const double *px = x.data_ptr<double>(), *py = y.data_ptr<double>();
  double* po = out.data_ptr<double>();
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) po[i] = kendall_tau_b(px + i * d, py + i * d, static_cast<size_t>(d));
  });
  return out;
}

}  // namespace

void register_kendall_metric(MetricRegistry& r) {
  r.add(rowwise_metric_info("kendall", "Kendall's tau-b of the prepared maps (pairs of pixels in the same order)",
                            Direction::HigherIsMoreSimilar, Preparation::Absolute, true, kendall_rows));
}

}  // namespace sanity
