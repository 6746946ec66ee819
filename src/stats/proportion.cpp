#include "stats/proportion.h"

#include <cmath>
#include <limits>

namespace sanity {

double normal_quantile(double p) {
  // By symmetry, bisect for the upper tail 1 - Phi(x) = erfc(x / sqrt 2) / 2 = min(p, 1 - p) on
  // x in [0, 40]: the tail keeps its precision where Phi(x) itself rounds to 1 (1 - p is exact for p >= 1/2).
  const double tail = p < 0.5 ? p : 1 - p;
  double lo = 0, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-14; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail ? lo : hi) = mid;
  }
  const double x = 0.5 * (lo + hi);
  return p < 0.5 ? -x : x;
}

Interval wilson_interval(double p_hat, int64_t n, double confidence) {
  Interval i;
  i.estimate = p_hat;
  i.n = n;
  if (n <= 0 || !std::isfinite(p_hat)) {
    i.low = i.high = std::numeric_limits<double>::quiet_NaN();
    return i;
  }
  const double z = normal_quantile(0.5 + confidence / 2), z2 = z * z, nn = static_cast<double>(n);
  const double centre = (p_hat + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p_hat * (1 - p_hat) / nn + z2 / (4 * nn * nn));
  i.low = std::max(0.0, centre - half);
  i.high = std::min(1.0, centre + half);
  return i;
}

}  // namespace sanity
