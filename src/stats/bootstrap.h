#pragma once
// Confidence intervals for scores averaged over images: the seeded percentile bootstrap (Efron &
// Tibshirani 1993, ch. 13), as scipy.stats.bootstrap(method="percentile") computes it. The images
// are the unit of resampling: each resample draws n of the n per-image values with replacement and
// takes their mean; the interval is the (alpha/2, 1 - alpha/2) quantiles of the resampled means.
// NaN values (undefined scores) are left out first, as the means in the report leave them out.
#include <cstdint>
#include <vector>

namespace sanity {

struct BootstrapOptions {
  int64_t resamples = 1000;
  double confidence = 0.95;
  uint64_t seed = 0;
};

struct Interval {
  double estimate = 0;  // the mean of the finite values
  double low = 0, high = 0;
  int64_t n = 0;        // finite values used
};

// NaN estimate and bounds when no value is finite; low == high == the value for one.
Interval bootstrap_mean(const std::vector<double>& values, const BootstrapOptions& options = {});

}  // namespace sanity
