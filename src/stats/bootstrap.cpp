#include "stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"

namespace sanity {
namespace {

// The q-quantile of sorted values with linear interpolation between order statistics (numpy's
// default, which scipy.stats.bootstrap's percentile method uses).
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

void check_options(const BootstrapOptions& o) {
  if (o.resamples < 1) throw InputError("bootstrap: resamples must be at least 1");
  if (!(o.confidence > 0 && o.confidence < 1)) throw InputError("bootstrap: confidence must be in (0, 1)");
}

}  // namespace

Interval bootstrap_mean(const std::vector<double>& values, const BootstrapOptions& o) {
  check_options(o);
  std::vector<double> x;
  for (double v : values)
    if (std::isfinite(v)) x.push_back(v);
  Interval r;
  r.n = static_cast<int64_t>(x.size());
  if (x.empty()) {
    r.estimate = r.low = r.high = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  double sum = 0;
  for (double v : x) sum += v;
  r.estimate = sum / static_cast<double>(x.size());
  std::mt19937_64 gen(o.seed);
  std::uniform_int_distribution<size_t> pick(0, x.size() - 1);
  std::vector<double> means(static_cast<size_t>(o.resamples));
  for (auto& m : means) {
    double s = 0;
    for (size_t i = 0; i < x.size(); ++i) s += x[pick(gen)];
    m = s / static_cast<double>(x.size());
  }
  percentile_interval(std::move(means), o.confidence, r);
  return r;
}

void percentile_interval(std::vector<double> draws, double confidence, Interval& out) {
  draws.erase(std::remove_if(draws.begin(), draws.end(), [](double v) { return std::isnan(v); }), draws.end());
  if (draws.empty()) {
    out.low = out.high = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  std::sort(draws.begin(), draws.end());
  const double alpha = 1 - confidence;
  out.low = quantile(draws, alpha / 2);
  out.high = quantile(draws, 1 - alpha / 2);
}

namespace {

// The first bin k whose cumulative count, summed over the images with their weights, reaches target.
// Cumulative counts only grow with k, so a binary search over the bins finds it.
size_t first_bin_reaching(const std::vector<std::vector<int64_t>>& cumulative, const std::vector<int64_t>& weight,
                          double target) {
  size_t lo = 0, hi = cumulative.front().size() - 1;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    double c = 0;
    for (size_t i = 0; i < cumulative.size(); ++i)
      if (weight[i]) c += static_cast<double>(weight[i]) * static_cast<double>(cumulative[i][mid]);
    if (c >= target)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

}  // namespace

Interval bootstrap_pooled_quantile(const std::vector<std::vector<int32_t>>& histograms, double q,
                                   const BootstrapOptions& o) {
  check_options(o);
  if (!(q >= 0 && q <= 1)) throw InputError("bootstrap: quantile must be in [0, 1]");
  Interval r;
  r.n = static_cast<int64_t>(histograms.size());
  r.estimate = r.low = r.high = std::numeric_limits<double>::quiet_NaN();
  if (histograms.empty() || histograms.front().empty()) return r;
  const size_t bins = histograms.front().size();
  std::vector<std::vector<int64_t>> cumulative;
  std::vector<int64_t> total;
  for (const auto& h : histograms) {
    if (h.size() != bins) throw InputError("bootstrap: histograms of different lengths");
    std::vector<int64_t> c(bins);
    int64_t running = 0;
    for (size_t k = 0; k < bins; ++k) c[k] = running += h[k];
    total.push_back(running);
    cumulative.push_back(std::move(c));
  }
  const auto centre = [&](size_t k) { return (static_cast<double>(k) + 0.5) / static_cast<double>(bins); };
  const auto quantile_for = [&](const std::vector<int64_t>& weight) {
    double count = 0;
    for (size_t i = 0; i < total.size(); ++i) count += static_cast<double>(weight[i]) * static_cast<double>(total[i]);
    if (count == 0) return std::numeric_limits<double>::quiet_NaN();
    return centre(first_bin_reaching(cumulative, weight, std::max(q * count, 0.5)));
  };
  const size_t n = histograms.size();
  r.estimate = quantile_for(std::vector<int64_t>(n, 1));
  std::mt19937_64 gen(o.seed);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  std::vector<double> draws(static_cast<size_t>(o.resamples));
  std::vector<int64_t> weight(n);
  for (auto& d : draws) {
    std::fill(weight.begin(), weight.end(), 0);
    for (size_t i = 0; i < n; ++i) ++weight[pick(gen)];
    d = quantile_for(weight);
  }
  percentile_interval(std::move(draws), o.confidence, r);
  return r;
}

}  // namespace sanity
