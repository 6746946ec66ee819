#pragma once
// Confidence intervals for the agreement between two rankings of methods (docs/DEFINITIONS.md,
// "Statistics and verdicts"): resample the images with replacement, recompute every method's score
// under each criterion from the resampled images, rank the methods afresh, and take Spearman's rho
// between the two rankings per resample; the interval is the percentile interval of those rhos. Images are
// resampled jointly for all criteria (one draw of images per resample), so the correlation between
// criteria measured on the same images is kept.
#include <cstdint>
#include <vector>

#include "stats/bootstrap.h"

namespace sanity {

// One criterion's per-image values. values[method][group][image]: images aligned by position across
// all criteria (NaN where a method has no value for that image). A method's score is
//   offset + scale * (mean over its groups of the group's mean over its finite values),
// e.g. cascading: one group (the last stage), score 1 - mean; independent randomization: one group
// per randomized layer, score 1 - the mean of the stage means; AOPC: one group, score = mean.
// A method with no finite value in some group has no score (NaN) in that resample.
struct PerImageCriterion {
  std::vector<std::vector<std::vector<double>>> values;
  double offset = 0, scale = 1;
  bool higher_is_better = true;
};

// Every method's score under a criterion with image weights (how often each image was drawn; all 1
// for the data as measured).
std::vector<double> criterion_scores(const PerImageCriterion& criterion, const std::vector<int64_t>& weights);

// [a][b]: estimate = Spearman's rho of criteria a and b on the data as measured (rank_correlation,
// stats/ranks.h), low/high = its percentile-bootstrap interval, n = methods scored by both.
// n_images: the length of every value vector.
std::vector<std::vector<Interval>> rank_agreement_intervals(const std::vector<PerImageCriterion>& criteria,
                                                            int64_t n_images, const BootstrapOptions& options = {});

}  // namespace sanity
