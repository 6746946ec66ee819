#include "stats/paired_tests.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace sanity {
namespace {

constexpr int64_t kExactLimit = 50;

// Average ranks (1-based) of values, ties sharing the mean of their positions (scipy.stats.rankdata).
// Also returns the tie-correction term sum over tie groups of t^3 - t.
std::vector<double> average_ranks(const std::vector<double>& v, double& tie_term) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  tie_term = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  return ranks;
}

// P(R+ = r) for r = 0 .. n(n+1)/2 with untied ranks 1..n: each rank is in R+ with probability 1/2.
std::vector<double> rank_sum_distribution(int64_t n) {
  const int64_t top = n * (n + 1) / 2;
  std::vector<double> counts(static_cast<size_t>(top + 1), 0.0);
  counts[0] = 1;
  for (int64_t k = 1; k <= n; ++k)
    for (int64_t r = top; r >= k; --r) counts[static_cast<size_t>(r)] += counts[static_cast<size_t>(r - k)];
  const double total = std::ldexp(1.0, static_cast<int>(n));
  for (auto& c : counts) c /= total;
  return counts;
}

}  // namespace

WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size())
    throw InputError("wilcoxon: " + std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                     " values; the test pairs them by image");
  std::vector<double> d;
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i]) && x[i] - y[i] != 0) d.push_back(x[i] - y[i]);
  WilcoxonResult r;
  r.n = static_cast<int64_t>(d.size());
  if (d.empty()) {
    r.statistic = r.p_value = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  std::vector<double> magnitude(d.size());
  for (size_t i = 0; i < d.size(); ++i) magnitude[i] = std::abs(d[i]);
  double tie_term = 0;
  const std::vector<double> ranks = average_ranks(magnitude, tie_term);
  double r_plus = 0, r_minus = 0;
  for (size_t i = 0; i < d.size(); ++i) (d[i] > 0 ? r_plus : r_minus) += ranks[i];
  r.statistic = std::min(r_plus, r_minus);
  const double n = static_cast<double>(r.n);
  if (r.n <= kExactLimit && tie_term == 0) {
    r.exact = true;
    const std::vector<double> pmf = rank_sum_distribution(r.n);
    const auto rp = static_cast<size_t>(std::llround(r_plus));
    if (rp == (pmf.size() - 1) / 2) {  // the centre (scipy's rule)
      r.p_value = 1;
    } else {
      double less = 0, greater = 0;
      for (size_t k = 0; k <= rp; ++k) less += pmf[k];
      for (size_t k = rp; k < pmf.size(); ++k) greater += pmf[k];
      r.p_value = std::min(1.0, 2 * std::min(less, greater));
    }
    return r;
  }
  const double mean = n * (n + 1) / 4;
  const double se = std::sqrt((n * (n + 1) * (2 * n + 1) - tie_term / 2) / 24);
  const double z = (r.statistic - mean) / se;
  r.p_value = std::min(1.0, std::erfc(std::abs(z) / std::sqrt(2.0)));  // 2 (1 - Phi(|z|))
  return r;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> out(p.size());
  double running = 0;
  const double m = static_cast<double>(p.size());
  for (size_t j = 0; j < order.size(); ++j) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(j)) * p[order[j]]));
    out[order[j]] = running;
  }
  return out;
}

}  // namespace sanity
