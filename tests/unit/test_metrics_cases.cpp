// Similarity metrics on hand-made inputs with known answers: identical maps, reversed ranks,
// constant maps, NaN input, option errors, batching, aggregation, and the papers' calibration
// (independent Gaussian masks score ~0).
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "metrics/aggregate.h"
#include "metrics/correlation.h"
#include "metrics/hog.h"
#include "metrics/registry.h"
#include "metrics/topk.h"
#include "test_util.h"

using namespace sanity;

namespace {

MetricPtr make(const std::string& spec) { return MetricRegistry::instance().make(spec); }

const std::vector<std::string> kAllMetrics = {"spearman_abs", "spearman",          "pearson",
                                              "cosine",       "mse",               "ssim",
                                              "hog",          "hog(impl=opencv)", "topk_intersection"};

}  // namespace

TEST(MetricsCases, IdenticalMapsScoreOneAndMseZero) {
  torch::manual_seed(0);
  for (auto shape : {std::vector<int64_t>{3, 1, 32, 32}, std::vector<int64_t>{2, 3, 48, 56}}) {
    torch::Tensor a = torch::randn(shape);
    for (const auto& name : kAllMetrics) {
      torch::Tensor s = make(name)->compare(a, a.clone());
      ASSERT_EQ(s.sizes(), (std::vector<int64_t>{shape[0]})) << name;
      EXPECT_EQ(s.dtype(), torch::kFloat64) << name;
      const double expected = name == "mse" ? 0.0 : 1.0;
      EXPECT_LT((s - expected).abs().max().item<double>(), 1e-12) << name << " " << s;
    }
  }
}

TEST(MetricsCases, ReversedRanksScoreMinusOne) {
  // Signed: b = -a reverses every rank. Absolute: positive values 1..D against D+1..1.
  torch::Tensor a = torch::randn({2, 1, 20, 20});
  EXPECT_NEAR(make("spearman")->compare(a, -a)[0].item<double>(), -1.0, 1e-12);
  torch::Tensor up = torch::arange(1, 401, torch::kFloat32).view({1, 1, 20, 20});
  torch::Tensor down = 401 - up;
  EXPECT_NEAR(make("spearman_abs")->compare(up, down).item<double>(), -1.0, 1e-12);
  EXPECT_NEAR(make("pearson")->compare(up, down).item<double>(), -1.0, 1e-12);
  EXPECT_NEAR(make("topk_intersection")->compare(up, down).item<double>(), 0.0, 1e-12);
}

TEST(MetricsCases, SmallCasesWithClosedFormAnswers) {
  // Ties get the mean of their positions, as scipy.stats.rankdata.
  torch::Tensor r = average_ranks(torch::tensor({{3.0, 1.0, 4.0, 1.0, 5.0}}));
  EXPECT_TRUE(torch::equal(r, torch::tensor({{3.0, 1.5, 4.0, 1.5, 5.0}}, torch::kFloat64))) << r;
  // No ties: rho = 1 - 6 sum d^2 / (n (n^2 - 1)) = 1 - 6 * 4 / 120 = 0.8.
  torch::Tensor x = torch::tensor({{1.0, 2.0, 3.0, 4.0, 5.0}}), y = torch::tensor({{2.0, 1.0, 4.0, 3.0, 5.0}});
  EXPECT_NEAR(spearman_rows(x, y).item<double>(), 0.8, 1e-12);
  // Top-k: the 4 largest of a are positions 6..9; b's are 4..7: half of them shared.
  torch::Tensor a = torch::arange(10, torch::kFloat64).view({1, 10});
  torch::Tensor b = torch::tensor({{0.0, 1.0, 2.0, 3.0, 9.0, 8.0, 7.0, 6.0, 0.0, 0.0}}, torch::kFloat64);
  EXPECT_DOUBLE_EQ(topk_intersection_rows(a, b, 4).item<double>(), 0.5);
  EXPECT_EQ(topk_count(0.1, 784), 78);
  EXPECT_EQ(topk_count(17, 784), 17);
  // Cosine and MSE of [1, 0] against [1, 1] (absolute preparation divides by the max: unchanged).
  torch::Tensor p = torch::tensor({1.0f, 0.0f}).view({1, 1, 1, 2}), q = torch::tensor({1.0f, 1.0f}).view({1, 1, 1, 2});
  EXPECT_NEAR(make("cosine")->compare(p, q).item<double>(), 1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(make("mse")->compare(p, q).item<double>(), 0.5, 1e-12);
}

TEST(MetricsCases, ConstantMapsGiveNaNWhereUndefined) {
  torch::Tensor a = torch::rand({2, 1, 32, 32});
  torch::Tensor c = torch::full({2, 1, 32, 32}, 0.25f);
  c[1] = 0;  // an all-zero map too
  for (const char* name : {"spearman_abs", "spearman", "pearson", "hog"})
    EXPECT_TRUE(make(name)->compare(a, c).isnan().all().item<bool>()) << name;
  // Cosine is undefined only for the zero map.
  torch::Tensor cos = make("cosine")->compare(a, c);
  EXPECT_FALSE(std::isnan(cos[0].item<double>()));
  EXPECT_TRUE(std::isnan(cos[1].item<double>()));
  // SSIM, MSE and top-k stay defined; two equal constant maps are identical.
  for (const char* name : {"ssim", "mse", "topk_intersection"})
    EXPECT_FALSE(make(name)->compare(a, c).isnan().any().item<bool>()) << name;
  EXPECT_NEAR(make("ssim")->compare(c, c.clone())[0].item<double>(), 1.0, 1e-12);
}

TEST(MetricsCases, NaNOrInfInAMapIsAnInputError) {
  torch::Tensor a = torch::rand({4, 1, 16, 16}), b = torch::rand({4, 1, 16, 16});
  b[2][0][3][3] = std::nanf("");
  for (const auto& name : kAllMetrics)
    test::expect_input_error([&] { make(name)->compare(a, b); }, "compared map 2 contains NaN");
  a[1][0][0][0] = INFINITY;
  test::expect_input_error([&] { make("ssim")->compare(a, b); }, "original map 1 contains NaN or Inf");
  test::expect_input_error([&] { make("ssim")->compare(a, b.narrow(0, 0, 3)); }, "must have the original's shape");
  test::expect_input_error([&] { make("ssim")->compare(a[0], b[0]); }, "expected original maps [N, C, H, W]");
}

TEST(MetricsCases, RegistryListsValidNamesAndOptions) {
  auto& r = MetricRegistry::instance();
  test::expect_input_error([&] { r.make("spearmann"); }, "valid metrics: spearman_abs, spearman, pearson");
  test::expect_input_error([&] { r.make("ssim(window=7)"); }, "unknown option 'window'; valid options: data_range");
  test::expect_input_error([&] { r.make("spearman_abs(prep=signed)"); }, "valid options: none");
  test::expect_input_error([&] { r.make("hog(corr=kendall)"); }, "corr=kendall is not valid; expected one of spearman, pearson");
  test::expect_input_error([&] { r.make("hog(impl=vlfeat)"); }, "impl=vlfeat");
  test::expect_input_error([&] { r.make("ssim(data_range=-1)"); }, "data_range=-1 must be a positive number");
  test::expect_input_error([&] { r.make("ssim(data_range=two)"); }, "data_range=two is not a number");
  test::expect_input_error([&] { r.make("pearson(prep=log)"); }, "prep=log is not valid; expected one of absolute, signed, unit, raw");
  test::expect_input_error([&] { r.make("topk_intersection(k=2.5)"); }, "k=2.5 must be a fraction");
  test::expect_input_error([&] { r.make("ssim(gradient)"); }, "takes 0 wrapped metric(s), got 1 (options are key=value)");
  // Canonical specs carry every default; lists parse at top level only.
  EXPECT_EQ(r.make("ssim")->spec().str(), "ssim(data_range=1)");
  EXPECT_EQ(r.make("hog(corr=pearson)")->spec().str(), "hog(bins=9, block=3, cell=auto, corr=pearson, impl=skimage)");
  std::vector<MetricPtr> list = r.make_list("spearman_abs, ssim(data_range=2), topk_intersection(k=0.05, prep=raw)");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2]->spec().str(), "topk_intersection(k=0.05, prep=raw)");
  EXPECT_EQ(r.make("mse")->direction(), Direction::LowerIsMoreSimilar);
  EXPECT_EQ(r.make("spearman")->direction(), Direction::HigherIsMoreSimilar);
  for (const auto& info : r.metrics()) EXPECT_NE(r.describe().find(info.name + " ("), std::string::npos);
}

TEST(MetricsCases, HogCellSizeAutoFitsOneBlockOnSmallMapsAndIsRecorded) {
  // skimage raises for 28x28 maps with 16-pixel cells and 3x3 blocks (no complete block): auto
  // takes the largest cell that fits one block, and spec_for() records it.
  MetricPtr hog = make("hog");
  EXPECT_EQ(hog->spec_for({5, 1, 28, 28}).get_string("cell", ""), "9");
  EXPECT_EQ(hog->spec_for({5, 3, 224, 224}).get_string("cell", ""), "16");
  EXPECT_EQ(hog->spec_for({5, 3, 40, 224}).get_string("cell", ""), "13");
  torch::Tensor a = torch::rand({1, 1, 28, 28});
  test::expect_input_error([&] { make("hog(cell=16)")->compare(a, a); }, "need maps of at least 48x48 pixels, got 28x28");
  EXPECT_EQ(hog_features(a, {.orientations = 9, .cell = 9, .block = 3}).size(1), 81);
}

TEST(MetricsCases, OpenCvHogVotesEdgesIntoTheirOrientation) {
  // Vertical stripes (gradient along x, 0 degrees) vote into OpenCV's bins 0 and 8 (centres 10 and
  // 170 degrees); horizontal stripes (90 degrees) into bin 4 (centre 90).
  torch::Tensor ramp = (torch::arange(64, torch::kFloat64).remainder(16) / 15).view({1, 64});
  torch::Tensor vertical = ramp.expand({64, 64}).unsqueeze(0), horizontal = vertical.transpose(1, 2);
  const HogOptions o{.orientations = 9, .cell = 16, .block = 3};
  for (auto [img, bins] : {std::pair{vertical, std::vector<int64_t>{0, 8}}, std::pair{horizontal, std::vector<int64_t>{4}}}) {
    torch::Tensor d = hog_features_opencv(img, o).view({-1, 9});
    EXPECT_EQ(d.size(0), 2 * 2 * 9);  // 2x2 blocks of 3x3 cells
    double in = 0;
    for (int64_t b : bins) in += d.select(1, b).sum().item<double>();
    EXPECT_GT(in, 0.9 * d.sum().item<double>()) << d.sum(0);
  }
}

TEST(MetricsCases, ScoresDoNotDependOnBatching) {
  torch::manual_seed(3);
  torch::Tensor a = torch::randn({5, 3, 40, 40}), b = a + torch::randn({5, 3, 40, 40});
  for (const auto& name : kAllMetrics) {
    MetricPtr m = make(name);
    torch::Tensor whole = m->compare(a, b);
    torch::Tensor parts = torch::cat({m->compare(a.narrow(0, 0, 2), b.narrow(0, 0, 2)), m->compare(a.narrow(0, 2, 3), b.narrow(0, 2, 3))});
    EXPECT_TRUE(torch::allclose(whole, parts, 0, 1e-12)) << name;
  }
}

TEST(MetricsCases, SummarySkipsAndCountsNaN) {
  const double nan = std::nan("");
  Summary s = summarize(std::vector<double>{1.0, nan, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.nan_count, 1);
  s = summarize(torch::tensor({nan, nan}));
  EXPECT_TRUE(std::isnan(s.mean) && std::isnan(s.std));
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.nan_count, 2);
  s = summarize(torch::tensor({0.5f}));
  EXPECT_DOUBLE_EQ(s.mean, 0.5);
  EXPECT_TRUE(std::isnan(s.std));
}

TEST(MetricsCases, IndependentGaussianMasksScoreNearZero) {
  // docs/DEFINITIONS.md "Similarity metrics", calibration: two independent Gaussian masks over 50
  // images. The correlations must average within 0.01 of 0, top-k at its chance level k/D. SSIM and HOG have a positive floor by
  // construction on [0, 1] maps (the C2 constant; anisotropic gradient histograms of |noise|), equal
  // to skimage's (test_metrics_reference): here their level is bounded and recorded.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  for (auto shape : {std::vector<int64_t>{50, 1, 28, 28}, std::vector<int64_t>{50, 3, 64, 64}}) {
    torch::Tensor a = at::normal(0, 1, shape, gen), b = at::normal(0, 1, shape, gen);
    for (const char* name : {"spearman_abs", "spearman", "pearson"}) {
      const double mean = summarize(make(name)->compare(a, b)).mean;
      EXPECT_LT(std::abs(mean), 0.01) << name << " " << shape[2];
      RecordProperty(std::string(name) + "_" + std::to_string(shape[2]), std::to_string(mean));
    }
    EXPECT_NEAR(summarize(make("topk_intersection")->compare(a, b)).mean, 0.1, 0.01);
    const double ssim = summarize(make("ssim")->compare(a, b)).mean, hog = summarize(make("hog")->compare(a, b)).mean;
    RecordProperty("ssim_" + std::to_string(shape[2]), std::to_string(ssim));
    RecordProperty("hog_" + std::to_string(shape[2]), std::to_string(hog));
    EXPECT_GT(ssim, -0.01);
    EXPECT_LT(ssim, 0.05);
    EXPECT_LT(std::abs(hog), 0.3);
  }
}
