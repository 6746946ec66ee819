// Cosine Similarity Convergence: the Gaussian baseline, closed-form cases (a rank-one backward
// converges, an orthogonal one does not), the trained MNIST CNN (Sixt et al.'s finding: z+-type
// methods collapse, the gradient and DeepLIFT do not), and the `sanity csc` command.
#include <nlohmann/json.hpp>

#include <fstream>

#include "attribution/registry.h"
#include "core/rng.h"
#include "data/sources.h"
#include "lrp_test_models.h"
#include "metrics/csc.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;

namespace {

Graph linear_model(const Tensor& w) {
  Graph g;
  int x = g.add_input({"input", {w.size(1), 1, 1}});
  g.add("fc", std::make_unique<Linear>(w, Tensor()), {g.add("flat", std::make_unique<Flatten>(1), {x})});
  return g;
}

double median_at(const CscResult& r, const std::string& layer) {
  for (const auto& l : r.layers)
    if (l.name == layer) return l.median;
  ADD_FAILURE() << "no layer " << layer;
  return -1;
}

// The papers' MNIST CNN trained briefly by the ref_trained_cnn fixture (1 epoch on 2000 images).
const Graph& trained_cnn() {
  static Graph g = load_onnx(test::ref_path("trained_cnn/model.onnx"));
  return g;
}

Tensor test_images(int64_t n) { return load_builtin_dataset("mnist", "test", "").images.narrow(0, 0, n); }

}  // namespace

TEST(Csc, GaussianBaselineMatchesClosedFormsAndSampling) {
  EXPECT_DOUBLE_EQ(gaussian_abs_cos_median(1), 1.0);
  EXPECT_NEAR(gaussian_abs_cos_median(2), std::sqrt(0.5), 1e-4);  // |cos| of a uniform angle
  EXPECT_NEAR(gaussian_abs_cos_median(3), 0.5, 1e-4);             // |cos| uniform on [0, 1] in 3-D
  at::Generator gen = make_generator(1);
  for (int64_t d : {10, 64, 256}) {
    const Tensor u = torch::randn({20000, d}, gen, torch::kFloat64), v = torch::randn({20000, d}, gen, torch::kFloat64);
    const Tensor c = ((u * v).sum(1) / (u.norm(2, 1) * v.norm(2, 1))).abs();
    EXPECT_NEAR(gaussian_abs_cos_median(d), c.median().item<double>(), 0.02 / std::sqrt(double(d))) << d;
  }
}

TEST(Csc, RankOneBackwardConvergesAndAnOrthogonalOneStaysAtTheBaseline) {
  torch::manual_seed(2);
  const Tensor images = torch::randn({20, 64, 1, 1});
  auto grad = make_gradient_sweep();
  CscOptions o;
  // Rank one: W^T v is always a multiple of the same vector.
  Graph one = linear_model(torch::randn({64, 1}).mm(torch::randn({1, 64})));
  CscResult r1 = cosine_similarity_convergence({one}, *grad, images, o);
  EXPECT_NEAR(median_at(r1, "input"), 1.0, 1e-3);
  EXPECT_EQ(r1.layers.back().channels, 64);
  EXPECT_EQ(r1.layers.back().count, 20 * 10);  // 20 images x 10 pairs x 1 position
  // Orthogonal: W^T v is again N(0, I), so |cos| is that of independent Gaussian vectors.
  Graph orth = linear_model(std::get<0>(torch::linalg_qr(torch::randn({64, 64}))));
  CscResult r2 = cosine_similarity_convergence({orth}, *grad, images, o);
  EXPECT_NEAR(median_at(r2, "input"), gaussian_abs_cos_median(64), 0.03);
  // Independent of batching: the vectors come from (seed, image id).
  o.images_per_batch = 3;
  EXPECT_DOUBLE_EQ(median_at(cosine_similarity_convergence({orth}, *grad, images, o), "input"), median_at(r2, "input"));
}

TEST(Csc, ZPlusTypeMethodsCollapseOnTheTrainedMnistCnnAndTheGradientDoesNot) {
  const Graph& g = trained_cnn();
  const Tensor images = test_images(8);
  std::map<std::string, double> at_conv1;
  for (const char* m : {"lrp_zplus", "lrp_alpha1beta0", "deep_taylor", "excitation_backprop", "gradient", "deeplift"}) {
    CscResult r = cosine_similarity_convergence({g}, *csc_method(parse_method_spec(m)), images, {});
    at_conv1[m] = median_at(r, "conv1");  // the lowest layer with channels (the input has one)
    EXPECT_GT(at_conv1[m], gaussian_abs_cos_median(32)) << m;
    RecordProperty(std::string("csc_conv1_") + m, std::to_string(at_conv1[m]));
  }
  for (const char* m : {"lrp_zplus", "lrp_alpha1beta0", "deep_taylor", "excitation_backprop"})
    EXPECT_GE(at_conv1[m], 0.95) << m;
  for (const char* m : {"gradient", "deeplift"}) EXPECT_LT(at_conv1[m], 0.7) << m;
  // The two-classes start: z+ gives (nearly) the same map for two different classes.
  CscOptions two;
  two.start = CscOptions::Start::TwoClasses;
  EXPECT_GE(median_at(cosine_similarity_convergence({g}, *csc_method(parse_method_spec("lrp_zplus")), images, two),
                      "conv1"),
            0.95);
  EXPECT_LT(median_at(cosine_similarity_convergence({g}, *csc_method(parse_method_spec("gradient")), images, two),
                      "conv1"),
            0.7);
}

TEST(Csc, PatternAttributionOnTheTrainedMnistCnn) {
  const Graph& g = trained_cnn();
  Dataset train = load_builtin_dataset("mnist", "train", "");
  Dataset fit = train.select(torch::arange(5000, 5500));
  AttributionContext ctx{g};
  ctx.fit_data = &fit;
  const Tensor images = test_images(8);
  const CscResult pa = cosine_similarity_convergence(
      ctx, *csc_method(parse_method_spec("pattern_attribution(fit_count=500)")), images, {});
  const CscResult grad = cosine_similarity_convergence(ctx, *make_gradient_sweep(), images, {});
  RecordProperty("csc_conv2_pattern_attribution", std::to_string(median_at(pa, "conv2")));
  RecordProperty("csc_conv1_pattern_attribution", std::to_string(median_at(pa, "conv1")));
  // Converges at conv2's output and stays above the gradient at conv1's; on this shallow network it
  // does not reach 0.95 at conv1 (numbers in bench/RESULTS.md), unlike on VGG-16.
  EXPECT_GT(median_at(pa, "conv2"), 0.85);
  EXPECT_GT(median_at(pa, "conv1"), median_at(grad, "conv1"));
}

TEST(Csc, GuidedBackpropConverges) {
  ASSERT_NE(MethodRegistry::instance().find("guided_backprop"), nullptr);
  BackpropMethodPtr m;
  ASSERT_NO_THROW(m = csc_method(parse_method_spec("guided_backprop")))
      << "guided_backprop must derive from BackpropMethod (attribution/backprop_method.h) for CSC";
  const Tensor images = test_images(8);
  EXPECT_GE(median_at(cosine_similarity_convergence({trained_cnn()}, *m, images, {}), "conv1"), 0.95);
}

TEST(Csc, CommandWritesCsvAndJsonPerMethodAndLayer) {
  const std::string dir = test::temp_dir("csc-cli");
  write_npy(dir + "/images.npy", torch::rand({4, 1, 28, 28}));
  auto r = test::run_cli("csc --model cnn --data " + dir + "/images.npy --methods lrp_zplus,gradient --start both "
                         "--out " + dir + "/out --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream csv(dir + "/out/csc.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("method,start,inject,layer,", 0), 0u) << header;
  int rows = 0;
  for (std::string line; std::getline(csv, line);) rows += !line.empty();
  EXPECT_EQ(rows, 2 * 2 * 4);  // 2 methods x 2 starts x (fc1, conv2, conv1, input)
  const auto j = nlohmann::json::parse(std::ifstream(dir + "/out/csc.json"));
  ASSERT_EQ(j["results"].size(), 4u);
  EXPECT_EQ(j["results"][0]["inject"], "fc2");
  const double zplus = j["results"][0]["layers"][2]["median"], grad = j["results"][1]["layers"][2]["median"];
  EXPECT_GT(zplus, grad);
  EXPECT_EQ(test::run_cli("csc --model cnn --data " + dir + "/images.npy --methods nope --out " + dir + "/x").exit_code, 2);
}
