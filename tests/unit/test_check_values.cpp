// Values of the checks that had none (sMPRT, eMPRT, random logit) and of activation-scale
// preservation, from closed forms on models where the answer is known: a two-layer linear model
// (its gradient does not depend on the input, so smoothing it changes nothing), a two-class model
// (the random other class is the other one), hand-made maps with known histograms, and a CNN whose
// first layer is rescaled channel by channel.
#include <filesystem>

#include "data/npy.h"
#include "lrp_test_models.h"
#include "models/model_io.h"
#include "models/train.h"
#include "results/store.h"
#include "study/check_runner.h"
#include "study/checks/activation_scale.h"
#include "study/checks/emprt.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;

namespace {

// input [1, 4, 4] -> flatten -> dense 16x6 -> dense 6x2: no nonlinearity, two classes.
Graph linear_model(uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  Graph g;
  const int x = g.add_input({"input", {1, 4, 4}});
  const int f = g.add("flat", std::make_unique<Flatten>(1), {x});
  g.add("fc2", test::linear(6, 2), {g.add("fc1", test::linear(16, 6), {f})});
  return g;
}

CheckConfig linear_config(const std::string& dir, std::vector<std::string> checks, std::string metrics) {
  CheckConfig c;
  c.model = dir + "/linear.onnx";
  save_onnx(linear_model(5), c.model);
  torch::manual_seed(11);
  write_npy(dir + "/x.npy", torch::rand({6, 1, 4, 4}));
  c.data.spec = dir + "/x.npy";
  c.data.testbed.count = 0;
  c.methods = {"gradient"};
  c.checks = std::move(checks);
  c.metrics = std::move(metrics);
  c.out_dir = dir + "/study";
  c.progress = false;
  return c;
}

std::vector<ResultRow> rows_of(const std::string& out, const std::string& check, const std::string& metric) {
  ResultsStore store(out + "/results.sqlite", /*read_only=*/true);
  RowFilter f;
  f.check = check;
  f.method = "gradient";
  f.metric = metric;
  return store.rows(f);
}

// Spearman of two vectors without ties, from ranks: the Pearson correlation of argsort(argsort(.)).
double spearman_no_ties(const Tensor& a, const Tensor& b) {
  const Tensor ra = a.argsort().argsort().to(torch::kFloat64), rb = b.argsort().argsort().to(torch::kFloat64);
  const Tensor da = ra - ra.mean(), db = rb - rb.mean();
  return ((da * db).sum() / (da.norm() * db.norm())).item<double>();
}

}  // namespace

TEST(CheckValues, SmprtOfAnInputIndependentMapIsTheModelRandomizationTest) {
  // The gradient of a linear model is the same for every noisy copy, and rescaling by the root mean
  // square and taking |.| leaves spearman_abs unchanged: sMPRT must equal bottom-up MPRT unit by unit.
  const std::string dir = test::temp_dir("values-smprt");
  const CheckConfig c = linear_config(dir, {"bottom_up", "smprt(samples=5, sigma=0.5)"}, "spearman_abs");
  run_checks(c);
  const auto mprt = rows_of(c.out_dir, "bottom_up", "spearman_abs");
  const auto smprt = rows_of(c.out_dir, "smprt", "spearman_abs");
  ASSERT_EQ(mprt.size(), 3u * 6u);  // the original and two layers, six images
  ASSERT_EQ(smprt.size(), mprt.size());
  double lowest = 1;
  for (size_t i = 0; i < mprt.size(); ++i) {
    EXPECT_EQ(smprt[i].stage, mprt[i].stage);
    EXPECT_EQ(smprt[i].image, mprt[i].image);
    EXPECT_NEAR(smprt[i].value, mprt[i].value, 1e-6) << "stage " << mprt[i].stage << " image " << mprt[i].image;
    lowest = std::min(lowest, mprt[i].value);
  }
  EXPECT_LT(lowest, 0.9) << "randomizing a layer changes this model's gradient";
}

TEST(CheckValues, RandomLogitOfATwoClassLinearModelComparesTheTwoWeightRows) {
  // Two classes: the random other class is the other one, and the gradient of class k is row k of
  // W2 W1 whatever the image, so every image scores Spearman(row 0, row 1).
  const std::string dir = test::temp_dir("values-random-logit");
  const CheckConfig c = linear_config(dir, {"random_logit(metric=spearman)"}, "spearman");
  run_checks(c);
  Graph g = linear_model(5);
  const Tensor w = torch::matmul(g.layer(g.find("fc2")).params()[0].value, g.layer(g.find("fc1")).params()[0].value)
                       .to(torch::kFloat64);
  const double expected = spearman_no_ties(w[0], w[1]);
  const auto rows = rows_of(c.out_dir, "random_logit", "spearman");
  ASSERT_EQ(rows.size(), 6u);
  for (const auto& r : rows) EXPECT_NEAR(r.value, expected, 1e-9) << "image " << r.image;
}

TEST(CheckValues, EmprtIsTheRelativeRiseInHistogramEntropy) {
  // |e| with two equally frequent values occupies two bins (H = ln 2); four values four bins (ln 4).
  const Tensor two = torch::tensor({0.0, 0.0, 1.0, -1.0}).reshape({1, 1, 2, 2});
  const Tensor four = torch::tensor({0.0, 1.0 / 3, -2.0 / 3, 1.0}).reshape({1, 1, 2, 2});
  EXPECT_NEAR(histogram_entropy(two)[0].item<double>(), std::log(2.0), 1e-12);
  EXPECT_NEAR(histogram_entropy(four)[0].item<double>(), std::log(4.0), 1e-12);
  EXPECT_NEAR(emprt_scores(two, four)[0].item<double>(), 1.0, 1e-12);   // (ln 4 - ln 2) / ln 2
  EXPECT_NEAR(emprt_scores(four, two)[0].item<double>(), -0.5, 1e-12);  // (ln 2 - ln 4) / ln 4
  // A constant trained map has H(e) = 0: the relative rise is undefined, not infinite.
  const Tensor constant = torch::full({1, 1, 2, 2}, 0.25);
  EXPECT_EQ(histogram_entropy(constant)[0].item<double>(), 0.0);
  EXPECT_TRUE(std::isnan(emprt_scores(constant, four)[0].item<double>()));
  EXPECT_TRUE(std::isnan(emprt_scores(constant, constant)[0].item<double>()));
}

TEST(CheckValues, SmprtExplainsPatternMethodsOnEveryRandomizedStage) {
  // sMPRT passes the training data and the patterns folder on: PatternAttribution is fitted on each
  // randomized model (it failed with "needs training images" on the first randomized stage).
  const std::string dir = test::temp_dir("values-smprt-pattern");
  CheckConfig c;
  c.model = dir + "/cnn.onnx";
  save_onnx(build_cnn(2), c.model);
  c.data.spec = "mnist";
  c.data.testbed.count = 2;
  c.methods = {"pattern_attribution(fit_count=64)"};
  c.checks = {"smprt(samples=2)"};
  c.metrics = "spearman_abs";
  c.out_dir = dir + "/study";
  c.progress = false;
  run_checks(c);
  ResultsStore store(c.out_dir + "/results.sqlite", /*read_only=*/true);
  RowFilter f;
  f.check = "smprt";
  const auto rows = store.rows(f);
  std::set<int64_t> stages;
  for (const auto& r : rows) {
    EXPECT_TRUE(std::isfinite(r.value)) << "stage " << r.stage;
    stages.insert(r.stage);
  }
  EXPECT_EQ(stages.size(), 5u) << "the original and each of the CNN's four layers randomized";
  // Nothing written beside the user's model (the patterns of each state were kept in memory), and the
  // finished run's resume cache is gone.
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_TRUE(e.path().filename() == "cnn.onnx" || e.path().filename() == "study") << e.path();
  EXPECT_FALSE(std::filesystem::exists(c.out_dir + "/cache/1"));
  EXPECT_TRUE(std::filesystem::exists(c.out_dir + "/results.sqlite"));
}

TEST(CheckValues, ActivationRankIsOverChannelMeans) {
  // conv1's output channels rescaled by positive factors that grow with the channel's mean activation
  // (ReLU commutes with a positive scale): the channels keep their order, so the rank correlation is
  // 1, while the energy per position (a weighted sum over channels) reorders the pixels.
  Graph trained = build_cnn(4);
  torch::manual_seed(9);
  const Tensor image = torch::rand({1, 1, 28, 28});
  const int conv1 = trained.find("conv1");
  const int relu = conv1 + 1;
  ASSERT_EQ(trained.node(relu).layer->kind(), LayerKind::ReLU);
  const Tensor means = trained.forward_all(image)[relu].mean({0, 2, 3});
  const Tensor factor = 1.0 + 3.0 * means.argsort().argsort().to(torch::kFloat32);
  Graph randomized = trained.clone();
  auto& params = randomized.layer(conv1).params();
  params[0].value = params[0].value * factor.view({-1, 1, 1, 1});
  params[1].value = params[1].value * factor;
  const auto scales = activation_scale(trained, randomized, image);
  const auto it = std::find_if(scales.begin(), scales.end(), [](const LayerScale& s) { return s.layer == "conv1"; });
  ASSERT_NE(it, scales.end());
  EXPECT_NEAR(it->rank_corr, 1.0, 1e-12);
  const Tensor a = trained.forward_all(image)[relu].to(torch::kFloat64);
  const Tensor b = randomized.forward_all(image)[relu].to(torch::kFloat64);
  const double ratio = (b.norm() / a.norm()).item<double>();
  EXPECT_NEAR(it->norm_ratio, ratio, 1e-9 * ratio);
}

TEST(CheckValues, DataCheckComparesThePermutedModelWithTheReferenceTrainedOnItsImages) {
  // Linear models: each map is a row of W2 W1, the row of the class that model predicts. With a
  // reference model, stage 1 compares the reference's maps (not --model's) with the permuted model's.
  const std::string dir = test::temp_dir("values-data-reference");
  CheckConfig c = linear_config(dir, {"data"}, "spearman");
  save_onnx(linear_model(6), dir + "/reference.onnx");
  save_onnx(linear_model(8), dir + "/permuted.onnx");
  c.reference_model = dir + "/reference.onnx";
  c.permuted_model = dir + "/permuted.onnx";
  run_checks(c);
  const auto product = [&](uint64_t seed) {
    Graph g = linear_model(seed);
    const Tensor w = torch::matmul(g.layer(g.find("fc2")).params()[0].value, g.layer(g.find("fc1")).params()[0].value);
    return std::make_pair(w.to(torch::kFloat64), predict_logits(g, read_npy(dir + "/x.npy")).argmax(1));
  };
  const auto ref = product(6), perm = product(8), own = product(5);
  const auto row = [](const std::pair<Tensor, Tensor>& m, int64_t i) { return m.first[m.second[i].item<int64_t>()]; };
  const auto rows = rows_of(c.out_dir, "data", "spearman");
  ASSERT_EQ(rows.size(), 2u * 6u);
  bool differs_from_model = false;
  for (const auto& r : rows) {
    const int64_t i = r.image;
    if (r.stage == 0) {
      EXPECT_NEAR(r.value, 1.0, 1e-12);
      continue;
    }
    EXPECT_NEAR(r.value, spearman_no_ties(row(ref, i), row(perm, i)), 1e-9);
    differs_from_model = differs_from_model || std::abs(r.value - spearman_no_ties(row(own, i), row(perm, i))) > 1e-3;
  }
  EXPECT_TRUE(differs_from_model) << "the test cannot tell the reference from --model";
  ResultsStore store(c.out_dir + "/results.sqlite", /*read_only=*/true);
  EXPECT_EQ(store.stage_label(1, "data", 0).value_or(""), "true labels, same images");
}
