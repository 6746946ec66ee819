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

// The percentile interval of resampled statistics at `confidence`: their (alpha/2, 1 - alpha/2)
// quantiles, interpolated linearly between order statistics (numpy's default). NaN draws are left
// out (a resample where the statistic is undefined); NaN bounds when none is left.
void percentile_interval(std::vector<double> draws, double confidence, Interval& out);

// A quantile of values pooled over clusters (the |cos| of every position, pair and image of a CSC
// layer), with the percentile-bootstrap interval that resamples the clusters (images), not the
// values: values of one image are not independent. histograms[i] counts image i's values in
// `bins` equal bins of [0, 1] (all the same length); the quantile is the centre of the first bin
// whose cumulative count reaches q times the total, so the estimate and the bounds have the bins'
// resolution. NaN when there are no values.
Interval bootstrap_pooled_quantile(const std::vector<std::vector<int32_t>>& histograms, double q,
                                   const BootstrapOptions& options = {});

}  // namespace sanity
