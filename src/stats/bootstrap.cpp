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

}  // namespace

Interval bootstrap_mean(const std::vector<double>& values, const BootstrapOptions& o) {
  if (o.resamples < 1) throw InputError("bootstrap: resamples must be at least 1");
  if (!(o.confidence > 0 && o.confidence < 1)) throw InputError("bootstrap: confidence must be in (0, 1)");
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
  std::sort(means.begin(), means.end());
  const double alpha = 1 - o.confidence;
  r.low = quantile(means, alpha / 2);
  r.high = quantile(means, 1 - alpha / 2);
  return r;
}

}  // namespace sanity
