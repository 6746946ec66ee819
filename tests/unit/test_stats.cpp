// The statistics behind the report's intervals and claims: the percentile bootstrap against
// scipy.stats.bootstrap (within Monte-Carlo error) and its coverage of a known mean, the Wilcoxon
// signed-rank test against scipy.stats.wilcoxon (exact and normal paths), Holm against hand-made cases,
// the Wilson interval of an accuracy against scipy.stats.binomtest.
#include <random>

#include "stats/bootstrap.h"
#include "stats/paired_tests.h"
#include "stats/proportion.h"
#include "test_util.h"

using namespace sanity;

namespace {

std::vector<double> values(const std::string& name) {
  const torch::Tensor t = test::load_ref("stats/" + name + ".npy").to(torch::kFloat64).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

}  // namespace

TEST(Stats, BootstrapMatchesScipyWithinMonteCarloError) {
  for (const char* set : {"normal", "skewed", "small"}) {
    const std::vector<double> x = values(std::string("bootstrap_") + set + "_x");
    const std::vector<double> ref = values(std::string("bootstrap_") + set + "_ci");  // low, high, sem
    const Interval ci = bootstrap_mean(x, {.resamples = 20000, .confidence = 0.95, .seed = 3});
    // Each bound is a quantile of 20,000 resampled means: its Monte-Carlo error is ~0.02 sem; allow 0.1.
    EXPECT_NEAR(ci.low, ref[0], 0.1 * ref[2]) << set;
    EXPECT_NEAR(ci.high, ref[1], 0.1 * ref[2]) << set;
    EXPECT_LT(ci.low, ci.estimate);
    EXPECT_GT(ci.high, ci.estimate);
    EXPECT_EQ(ci.n, static_cast<int64_t>(x.size()));
  }
}

TEST(Stats, BootstrapIntervalsCoverAKnownMeanAboutNinetyFivePercentOfTheTime) {
  // 1,000 data sets of 60 draws from N(0.7, 1): a 95 % interval should hold 0.7 in ~950 of them
  // (binomial sd ~7; the percentile bootstrap runs slightly narrow at n = 60).
  std::mt19937_64 gen(12);
  std::normal_distribution<double> draw(0.7, 1.0);
  int covered = 0;
  for (int k = 0; k < 1000; ++k) {
    std::vector<double> x(60);
    for (auto& v : x) v = draw(gen);
    const Interval ci = bootstrap_mean(x, {.resamples = 1000, .confidence = 0.95, .seed = static_cast<uint64_t>(k)});
    covered += ci.low <= 0.7 && 0.7 <= ci.high;
  }
  EXPECT_GE(covered, 925);
  EXPECT_LE(covered, 970);
}

TEST(Stats, BootstrapLeavesUndefinedScoresOutAndIsSeeded) {
  const double nan = std::nan("");
  const Interval a = bootstrap_mean({1, 2, nan, 3, 4}, {.resamples = 500, .confidence = 0.9, .seed = 5});
  EXPECT_EQ(a.n, 4);
  EXPECT_DOUBLE_EQ(a.estimate, 2.5);
  const Interval b = bootstrap_mean({1, 2, 3, 4}, {.resamples = 500, .confidence = 0.9, .seed = 5});
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_TRUE(std::isnan(bootstrap_mean({nan}).estimate));
  const Interval one = bootstrap_mean({0.25});
  EXPECT_EQ(one.low, 0.25);
  EXPECT_EQ(one.high, 0.25);
  test::expect_input_error([] { bootstrap_mean({1, 2}, {.resamples = 10, .confidence = 1.5}); }, "confidence");
}

TEST(Stats, WilcoxonMatchesScipyOnExactAndNormalCases) {
  for (const char* c : {"exact_shift", "exact_null", "exact_all_positive", "normal_ties_zeros", "normal_large"}) {
    const std::string k = std::string("wilcoxon_") + c;
    const std::vector<double> ref = values(k);  // statistic, p
    const WilcoxonResult r = wilcoxon_signed_rank(values(k + "_x"), values(k + "_y"));
    EXPECT_EQ(r.exact, std::string(c).rfind("exact", 0) == 0) << c;
    EXPECT_NEAR(r.statistic, ref[0], 1e-9) << c;
    EXPECT_NEAR(r.p_value, ref[1], 1e-12 + 1e-9 * ref[1]) << c;
  }
}

TEST(Stats, WilcoxonClosedForms) {
  // n = 3, all differences positive: R- = 0, P(R+ >= 6) = 1/8, two-sided 1/4.
  WilcoxonResult r = wilcoxon_signed_rank({3, 5, 9}, {2, 3, 6});
  EXPECT_EQ(r.statistic, 0);
  EXPECT_DOUBLE_EQ(r.p_value, 0.25);
  EXPECT_TRUE(r.exact);
  // Zero differences are dropped (zero_method "wilcox"); all zero: undefined.
  r = wilcoxon_signed_rank({1, 2, 3, 4}, {1, 2, 2, 3});
  EXPECT_EQ(r.n, 2);
  EXPECT_TRUE(std::isnan(wilcoxon_signed_rank({1, 2}, {1, 2}).p_value));
  test::expect_input_error([] { wilcoxon_signed_rank({1, 2}, {1}); }, "pairs them by image");
}

TEST(Stats, HolmAdjustsStepDownInTheInputsOrder) {
  // Sorted 0.01, 0.03, 0.04, 0.2 (m = 4): 4(0.01) = 0.04, 3(0.03) = 0.09, max(0.09, 2(0.04)) = 0.09, 0.2.
  const std::vector<double> adj = holm_adjust({0.04, 0.01, 0.2, 0.03});
  const std::vector<double> expected{0.09, 0.04, 0.2, 0.09};
  ASSERT_EQ(adj.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(adj[i], expected[i], 1e-15) << i;
  EXPECT_EQ(holm_adjust({0.5, 0.6})[1], 1.0);  // capped at 1
  EXPECT_TRUE(holm_adjust({}).empty());
}

TEST(Stats, WilsonIntervalAndNormalQuantileMatchScipy) {
  const torch::Tensor q = test::load_ref("stats/normal_quantile.npy").to(torch::kFloat64).contiguous();
  for (int64_t i = 0; i < q.size(0); ++i)
    EXPECT_NEAR(normal_quantile(q[i][0].item<double>()), q[i][1].item<double>(), 1e-9) << q[i][0].item<double>();
  const torch::Tensor w = test::load_ref("stats/wilson.npy").to(torch::kFloat64).contiguous();
  ASSERT_EQ(w.size(0), 7);
  for (int64_t i = 0; i < w.size(0); ++i) {
    const auto k = w[i][0].item<double>(), n = w[i][1].item<double>();
    const Interval ci = wilson_interval(k / n, static_cast<int64_t>(n), w[i][2].item<double>());
    EXPECT_NEAR(ci.low, w[i][3].item<double>(), 1e-9) << k << " of " << n;
    EXPECT_NEAR(ci.high, w[i][4].item<double>(), 1e-9) << k << " of " << n;
    EXPECT_EQ(ci.n, static_cast<int64_t>(n));
  }
  EXPECT_TRUE(std::isnan(wilson_interval(0.5, 0).low));
}
