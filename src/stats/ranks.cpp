#include "stats/ranks.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace sanity {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
}

bool tied(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)}); }

}  // namespace

std::vector<double> rank_scores(const std::vector<double>& scores, bool higher_is_better) {
  std::vector<size_t> order;
  for (size_t i = 0; i < scores.size(); i++)
    if (std::isfinite(scores[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return higher_is_better ? scores[a] > scores[b] : scores[a] < scores[b];
  });
  std::vector<double> ranks(scores.size(), kNaN);
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && tied(scores[order[j + 1]], scores[order[i]])) j++;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;  // ranks i+1 .. j+1
    for (size_t k = i; k <= j; k++) ranks[order[k]] = mean_rank;
    i = j + 1;
  }
  return ranks;
}

double rank_correlation(const std::vector<double>& a, bool a_higher, const std::vector<double>& b, bool b_higher,
                        int64_t* n) {
  std::vector<double> x, y;
  for (size_t i = 0; i < a.size() && i < b.size(); i++)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) x.push_back(a[i]), y.push_back(b[i]);
  if (n) *n = static_cast<int64_t>(x.size());
  if (x.size() < 2) return kNaN;
  return pearson(rank_scores(x, a_higher), rank_scores(y, b_higher));
}

}  // namespace sanity
