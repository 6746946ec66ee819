// What the scorecard's numbers rest on, from closed forms: ranks with ties, Spearman's rho between two
// rankings, the bootstrap interval of a rank agreement (resampling images, re-ranking), the pooled
// CSC quantile's interval, and the verdict rules of stats/verdicts.h.
#include <cmath>
#include <limits>

#include "stats/bootstrap.h"
#include "stats/rank_agreement.h"
#include "stats/ranks.h"
#include "stats/verdicts.h"
#include "test_util.h"

using namespace sanity;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

TEST(StatsRanks, TiesShareTheirMeanRankAndUndefinedScoresStayUnranked) {
  // Higher is better: 0.9 first, the two 0.5 share ranks 2 and 3, 0.1 last, NaN unranked.
  const std::vector<double> r = rank_scores({0.5, 0.9, kNaN, 0.1, 0.5}, true);
  EXPECT_EQ(r[0], 2.5);
  EXPECT_EQ(r[1], 1);
  EXPECT_TRUE(std::isnan(r[2]));
  EXPECT_EQ(r[3], 4);
  EXPECT_EQ(r[4], 2.5);
  // Lower is better reverses the order.
  const std::vector<double> low = rank_scores({0.5, 0.9, 0.1}, false);
  EXPECT_EQ(low, (std::vector<double>{2, 3, 1}));
  // Means summed in another order differ in the last bits: still a tie.
  const std::vector<double> near = rank_scores({0.3, 0.1 + 0.2}, true);
  EXPECT_EQ(near[0], 1.5);
  EXPECT_EQ(near[1], 1.5);
}

TEST(StatsRanks, SpearmanClosedForms) {
  // No ties: rho = 1 - 6 sum d^2 / (n (n^2 - 1)); d = (1, 1, 1, 1, 0) gives 1 - 24/120 = 0.8.
  EXPECT_NEAR(rank_correlation({1, 2, 3, 4, 5}, true, {2, 1, 4, 3, 5}, true), 0.8, 1e-15);
  // Opposite senses: the same scores ranked one way high-best and the other low-best disagree fully.
  EXPECT_NEAR(rank_correlation({1, 2, 3}, true, {1, 2, 3}, false), -1, 1e-15);
  // Methods without a score in either ranking are left out, then ranked afresh.
  int64_t n = 0;
  EXPECT_NEAR(rank_correlation({1, kNaN, 2, 3}, true, {10, 5, 20, 30}, true, &n), 1, 1e-15);
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(std::isnan(rank_correlation({1, 2}, true, {kNaN, 2}, true)));  // one method left
  EXPECT_TRUE(std::isnan(rank_correlation({1, 2, 3}, true, {4, 4, 4}, true)));  // a constant ranking
}

TEST(StatsRankAgreement, ScoresAreWeightedMeansOverGroups) {
  PerImageCriterion c;
  // One method, two groups (say, two randomized layers), three images; score = 1 - mean of group means.
  c.values = {{{0.2, 0.4, kNaN}, {0.6, 0.6, 0.9}}};
  c.offset = 1;
  c.scale = -1;
  EXPECT_NEAR(criterion_scores(c, {1, 1, 1})[0], 1 - (0.3 + 0.7) / 2, 1e-15);
  // Image 0 drawn twice, image 2 once: group 0 has (0.2, 0.2), group 1 (0.6, 0.6, 0.9).
  EXPECT_NEAR(criterion_scores(c, {2, 0, 1})[0], 1 - (0.2 + 0.7) / 2, 1e-15);
  // A resample holding only images a group has no value for leaves the method unscored.
  EXPECT_TRUE(std::isnan(criterion_scores(c, {0, 0, 3})[0]));
}

TEST(StatsRankAgreement, IntervalsFromResamplingImages) {
  // Three methods whose per-image values do not vary: every resample ranks them alike, so the
  // interval collapses onto the estimate (-1: the second criterion orders them the other way).
  PerImageCriterion a, b;
  a.values = {{{0.1, 0.1, 0.1, 0.1}}, {{0.5, 0.5, 0.5, 0.5}}, {{0.9, 0.9, 0.9, 0.9}}};
  b.values = a.values;
  b.higher_is_better = false;
  auto m = rank_agreement_intervals({a, b}, 4, {.resamples = 200, .confidence = 0.95, .seed = 1});
  EXPECT_NEAR(m[0][1].estimate, -1, 1e-15);
  EXPECT_NEAR(m[0][1].low, -1, 1e-15);
  EXPECT_NEAR(m[0][1].high, -1, 1e-15);
  EXPECT_EQ(m[0][1].n, 3);
  EXPECT_NEAR(m[0][0].estimate, 1, 1e-15);

  // Methods 1 and 2 swap places in b depending on which images are drawn: on all images the order
  // agrees (rho 1); a resample with image 0 drawn 2 or 3 times of 4 (probability 0.26) puts method 2
  // below method 1 (rho 0.5), all 4 times (1/256, inside the 2.5 % tail) below method 0 too (-0.5).
  // So the interval is [0.5, 1].
  b.higher_is_better = true;
  b.values = {{{0.1, 0.1, 0.1, 0.1}}, {{0.5, 0.5, 0.5, 0.5}}, {{0.0, 0.9, 0.9, 0.9}}};
  m = rank_agreement_intervals({a, b}, 4, {.resamples = 400, .confidence = 0.95, .seed = 2});
  EXPECT_NEAR(m[0][1].estimate, 1, 1e-15);
  EXPECT_NEAR(m[0][1].high, 1, 1e-15);
  EXPECT_NEAR(m[0][1].low, 0.5, 1e-12);
  EXPECT_EQ(m[1][0].low, m[0][1].low);  // symmetric
  // Seeded: the same seed gives the same interval, another seed may not.
  const auto again = rank_agreement_intervals({a, b}, 4, {.resamples = 400, .confidence = 0.95, .seed = 2});
  EXPECT_EQ(again[0][1].low, m[0][1].low);
}

TEST(StatsPooledQuantile, BinCentresAndClusterResampling) {
  // Two images, 4 bins of [0, 1]: pooled counts (1, 1, 2, 4) over 8 values; the median (4th value)
  // falls in bin 2, centre 0.625.
  const std::vector<std::vector<int32_t>> h{{1, 0, 1, 2}, {0, 1, 1, 2}};
  const Interval r = bootstrap_pooled_quantile(h, 0.5, {.resamples = 300, .confidence = 0.9, .seed = 4});
  EXPECT_EQ(r.estimate, 0.625);
  EXPECT_EQ(r.n, 2);
  // Resampling images: {0, 0} pools (2, 0, 2, 4), median in bin 2; {1, 1} pools (0, 2, 2, 4), bin 2:
  // every resample gives 0.625.
  EXPECT_EQ(r.low, 0.625);
  EXPECT_EQ(r.high, 0.625);
  // Images that disagree: all mass in bin 0 for one, bin 3 for the other; resamples of both kinds.
  const Interval wide = bootstrap_pooled_quantile({{4, 0, 0, 0}, {0, 0, 0, 4}}, 0.5, {.resamples = 300, .confidence = 0.9, .seed = 4});
  EXPECT_EQ(wide.estimate, 0.125);  // the 4th of 8 values is the last in bin 0
  EXPECT_EQ(wide.low, 0.125);
  EXPECT_EQ(wide.high, 0.875);
  EXPECT_TRUE(std::isnan(bootstrap_pooled_quantile({}, 0.5).estimate));
  test::expect_input_error([] { bootstrap_pooled_quantile({{1}, {1, 2}}, 0.5); }, "different lengths");
}

TEST(StatsVerdicts, RandomizationRule) {
  const VerdictRule rule;  // threshold 0.5, alpha 0.05
  // Significantly below the edge detector and the interval under the threshold: pass.
  EXPECT_EQ(randomization_verdict(0.2, 0.3, 0.8, 0.001, rule), Verdict::Pass);
  // Below the edge detector, but the interval reaches the threshold: inconclusive.
  EXPECT_EQ(randomization_verdict(0.45, 0.55, 0.8, 0.001, rule), Verdict::Inconclusive);
  // Not significantly below (p >= alpha), above it, or no test (every difference zero): fail.
  EXPECT_EQ(randomization_verdict(0.2, 0.3, 0.8, 0.05, rule), Verdict::Fail);
  EXPECT_EQ(randomization_verdict(0.9, 0.95, 0.8, 0.001, rule), Verdict::Fail);
  EXPECT_EQ(randomization_verdict(0.8, 0.9, 0.8, kNaN, rule), Verdict::Fail);
  EXPECT_EQ(randomization_verdict(kNaN, 0.3, 0.8, 0.001, rule), Verdict::None);
  EXPECT_EQ(randomization_verdict(0.2, 0.3, kNaN, 0.001, rule), Verdict::None);
  VerdictRule strict = rule;
  strict.threshold = 0.25;
  EXPECT_EQ(randomization_verdict(0.2, 0.3, 0.8, 0.001, strict), Verdict::Inconclusive);
  // Within the margin (0.05) of the edge detector: indistinguishable, fail however small p is; the
  // literal rule (margin 0) calls the same method inconclusive.
  EXPECT_EQ(randomization_verdict(0.77, 0.78, 0.8, 1e-9, rule), Verdict::Fail);
  VerdictRule literal = rule;
  literal.margin = 0;
  EXPECT_EQ(randomization_verdict(0.77, 0.78, 0.8, 1e-9, literal), Verdict::Inconclusive);
}

TEST(StatsVerdicts, FaithfulnessRule) {
  const VerdictRule rule;
  EXPECT_EQ(faithfulness_verdict(0.3, 0.1, 0.0, 0.001, rule), Verdict::Pass);
  EXPECT_EQ(faithfulness_verdict(0.3, -0.1, 0.0, 0.001, rule), Verdict::Inconclusive);
  EXPECT_EQ(faithfulness_verdict(0.3, 0.1, 0.0, 0.2, rule), Verdict::Fail);
  EXPECT_EQ(faithfulness_verdict(-0.1, -0.2, 0.0, 0.001, rule), Verdict::Fail);  // below the noise baseline
  EXPECT_EQ(faithfulness_verdict(0.3, 0.1, kNaN, 0.001, rule), Verdict::None);
  EXPECT_STREQ(verdict_name(Verdict::Inconclusive), "inconclusive");
}

TEST(StatsVerdicts, RuleFromJsonNamesTheField) {
  const VerdictRule r = VerdictRule::from_json({{"threshold", 0.3}, {"alpha", 0.01}}, "study.json");
  EXPECT_EQ(r.threshold, 0.3);
  EXPECT_EQ(r.alpha, 0.01);
  EXPECT_EQ(r.metric, "spearman_abs");  // left out: the default
  EXPECT_EQ(VerdictRule::from_json(r.to_json(), "x").to_json(), r.to_json());
  test::expect_input_error([] { VerdictRule::from_json({{"alpha", 1.5}}, "study.json"); },
                           "study.json: field 'verdicts.alpha': expected a number in (0, 1), got 1.5");
  test::expect_input_error([] { VerdictRule::from_json({{"thresh", 0.3}}, "study.json"); },
                           "study.json: field 'verdicts.thresh': unknown field");
  test::expect_input_error([] { VerdictRule::from_json({{"resamples", 0}}, "study.json"); }, "verdicts.resamples");
  EXPECT_EQ(VerdictRule::from_json({{"margin", 0}}, "study.json").margin, 0.0);
  test::expect_input_error([] { VerdictRule::from_json({{"margin", -0.1}}, "study.json"); },
                           "study.json: field 'verdicts.margin': expected a number in [0, 1), got -0.1");
}
