#pragma once
// Confidence interval of a proportion: the model accuracy at a randomization stage, k correct of n
// images. It is stored as one number per stage, not per image, so the images' bootstrap does not
// apply; the Wilson score interval (Wilson 1927) is its closed form (the percentile bootstrap of n
// 0/1 values tends to the normal interval, which Wilson corrects near 0 and 1, where randomized
// models' accuracies sit). As statsmodels.stats.proportion.proportion_confint(method="wilson").
#include <cstdint>

#include "stats/bootstrap.h"

namespace sanity {

// The standard normal quantile Phi^-1(p), p in (0, 1), to 1e-12 (bisection on erfc).
double normal_quantile(double p);

// Estimate p_hat and the two-sided Wilson interval at `confidence`; n = 0 gives NaN bounds.
Interval wilson_interval(double p_hat, int64_t n, double confidence = 0.95);

}  // namespace sanity
