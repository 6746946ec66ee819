// DeepLIFT (Rescale) and PatternNet / PatternAttribution in closed form: DeepLIFT equals gradient x
// input when no unit changes sign between the input and the zero reference, and sums to the output
// difference; patterns recover the signal direction of a linear model and are cached beside the model.
#include <filesystem>

#include "attribution/pattern.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "lrp_test_models.h"
#include "test_util.h"

using namespace sanity;

namespace {

Tensor grad_x_input(const Graph& g, const Tensor& x, const Tensor& targets) {
  Tensor xi = x.clone().requires_grad_(true);
  Tensor sel = g.forward(xi).gather(1, targets.view({-1, 1})).sum();
  return x * torch::autograd::grad({sel}, {xi})[0];
}

// x -> flatten -> fc1 -> relu -> fc2 -> relu -> fc3, with fc1's first half of units always on and the
// second half always off for inputs in [0, 1] (large biases), so no unit changes sign against x' = 0.
Graph sign_stable_mlp() {
  torch::manual_seed(7);
  Graph g;
  int x = g.add_input({"input", {1, 4, 4}});
  auto fc1 = test::linear(16, 8, true, 0.2);
  fc1->params()[1].value = torch::cat({torch::full({4}, 5.0), torch::full({4}, -5.0)});
  int h = g.add("relu1", std::make_unique<ReLU>(), {g.add("fc1", std::move(fc1), {g.add("flat", std::make_unique<Flatten>(1), {x})})});
  auto fc2 = test::linear(8, 6, true, 0.2);
  fc2->params()[1].value = torch::full({6}, 5.0);
  h = g.add("relu2", std::make_unique<ReLU>(), {g.add("fc2", std::move(fc2), {h})});
  g.add("fc3", test::linear(6, 3), {h});
  return g;
}

}  // namespace

TEST(DeepLift, EqualsGradientTimesInputWhenNoUnitChangesSign) {
  Graph g = sign_stable_mlp();
  const Tensor x = torch::rand({5, 1, 4, 4}), targets = torch::tensor({0, 1, 2, 0, 1});
  const Tensor d = MethodRegistry::instance().make("deeplift")->attribute({g}, x, targets);
  EXPECT_LT(test::max_rel_error(d, grad_x_input(g, x, targets)), 1e-5);
}

TEST(DeepLift, SumsToTheOutputDifferenceAndDiffersFromTheGradientWhenUnitsSwitch) {
  torch::manual_seed(8);
  Graph g;  // random biases: units do switch between x and the reference
  int x = g.add_input({"input", {2, 6, 6}});
  int h = g.add("relu1", std::make_unique<ReLU>(), {g.add("conv1", test::conv(2, 4, 3), {x})});
  h = g.add("pool", std::make_unique<AvgPool2d>(std::vector<int64_t>{2, 2}, std::vector<int64_t>{2, 2}, Pads2d{}, false, true), {h});
  h = g.add("relu2", std::make_unique<ReLU>(), {g.add("fc1", test::linear(36, 8), {g.add("flat", std::make_unique<Flatten>(1), {h})})});
  g.add("fc2", test::linear(8, 3), {h});
  const Tensor in = torch::randn({4, 2, 6, 6}), targets = torch::tensor({0, 1, 2, 0});
  for (double ref : {0.0, 0.5}) {
    const std::string spec = ref == 0 ? "deeplift" : "deeplift(reference=0.5)";
    const Tensor d = MethodRegistry::instance().make(spec)->attribute({g}, in, targets);
    const Tensor delta = (g.forward(in) - g.forward(torch::full_like(in, ref))).gather(1, targets.view({-1, 1})).view({-1});
    EXPECT_LT((d.sum({1, 2, 3}) - delta).abs().max().item<double>(), 1e-4 * delta.abs().max().item<double>()) << spec;
  }
  const Tensor d = MethodRegistry::instance().make("deeplift")->attribute({g}, in, targets);
  EXPECT_GT(test::max_rel_error(d, grad_x_input(g, in, targets)), 1e-2);
}

TEST(Patterns, RecoverTheSignalDirectionOfALinearModel) {
  // x = a s + d: signal s along a, distractor d orthogonal to w. The pattern is a / (w^T a).
  torch::manual_seed(9);
  Graph g;
  int x = g.add_input({"input", {4, 1, 1}});
  const Tensor w = torch::tensor({{1.0f, 0.5f, 0.0f, 0.0f}});
  g.add("fc", std::make_unique<Linear>(w.clone(), torch::zeros({1})), {g.add("flat", std::make_unique<Flatten>(1), {x})});
  const Tensor a = torch::tensor({1.0f, 0.0f, 1.0f, -1.0f});
  const Tensor dir = torch::tensor({1.0f, -2.0f, 3.0f, 0.0f});  // w . dir = 0
  const int64_t n = 200000;
  const Tensor images = (torch::randn({n, 1}) * a + torch::randn({n, 1}) * dir).view({n, 4, 1, 1});
  const Patterns p = fit_patterns(g, images, 4096);
  const Tensor got = p.per_node.at(g.find("fc")).view({-1});
  EXPECT_LT(test::max_rel_error(got, a / (w.view({-1}) * a).sum()), 0.03);
  // The filter itself (w) would point elsewhere: PatternNet differs from the gradient here.
  EXPECT_GT(test::max_rel_error(got, w.view({-1})), 0.5);
  // Followed by a ReLU the layer takes the two-component estimator (E+ over y > 0), which for a
  // symmetric signal and an independent distractor finds the same direction.
  Graph rg;
  int rx = rg.add_input({"input", {4, 1, 1}});
  int h = rg.add("fc", std::make_unique<Linear>(w.clone(), torch::zeros({1})), {rg.add("flat", std::make_unique<Flatten>(1), {rx})});
  rg.add("out", std::make_unique<Linear>(torch::ones({1, 1}), torch::zeros({1})), {rg.add("relu", std::make_unique<ReLU>(), {h})});
  const Tensor rp = fit_patterns(rg, images, 4096).per_node.at(rg.find("fc")).view({-1});
  EXPECT_LT(test::max_rel_error(rp, a / (w.view({-1}) * a).sum()), 0.03);
  EXPECT_GT(test::max_rel_error(rp, got), 1e-6) << "a different estimator, so not bit-identical";

  // PatternAttribution on this linear model: (w * a) times the logit; PatternNet: a.
  Dataset data{"synthetic", images, torch::zeros({n}, torch::kInt64), {}};
  AttributionContext ctx{g};
  ctx.fit_data = &data;
  const Tensor xin = torch::randn({3, 4, 1, 1}), targets = torch::zeros({3}, torch::kInt64);
  auto& r = MethodRegistry::instance();
  const Tensor pa = r.make("pattern_attribution(fit_count=200000)")->attribute(ctx, xin, targets);
  const Tensor pn = r.make("pattern_net(fit_count=200000)")->attribute(ctx, xin, targets);
  const Tensor logit = g.forward(xin).view({-1, 1, 1, 1});
  EXPECT_LT(test::max_rel_error(pa, (w.view({1, 4, 1, 1}) * got.view({1, 4, 1, 1})) * logit), 1e-5);
  EXPECT_LT(test::max_rel_error(pn, got.view({1, 4, 1, 1}).expand({3, 4, 1, 1})), 1e-5);
}

TEST(Patterns, AreSavedBesideTheModelAndReusedWithoutTrainingData) {
  Graph g = build_cnn(10);
  const std::string dir = test::temp_dir("patterns");
  Dataset data{"random/train", torch::rand({64, 1, 28, 28}), torch::zeros({64}, torch::kInt64), {}};
  AttributionContext ctx{g, 32};
  ctx.fit_data = &data;
  ctx.cache_dir = dir;
  const Tensor x = torch::rand({2, 1, 28, 28}), targets = torch::tensor({1, 2});
  auto m = MethodRegistry::instance().make("pattern_attribution(fit_count=48)");
  const Tensor first = m->attribute(ctx, x, targets);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.path().extension() == ".pt";
  EXPECT_EQ(files, 1);
  // A different model (fresh weights): no fit data and no matching patterns -> a clear error.
  Graph other = build_cnn(11);
  AttributionContext bare{other};
  bare.cache_dir = dir;
  EXPECT_THROW(m->attribute(bare, x, targets), InputError);
  // The same weights in a new graph object, no training data: the file is found and used.
  Graph same = build_cnn(10);
  AttributionContext reuse{same};
  reuse.cache_dir = dir;
  EXPECT_TRUE(torch::equal(m->attribute(reuse, x, targets), first));
  EXPECT_GT(first.abs().sum().item<double>(), 0.0);
  // Wrapped, the method sees the same training data and patterns file: SmoothGrad with sigma 0
  // equals it, whether the patterns are fitted or read from the file, up to float32 rounding (its
  // passes hold four rows, not two, and a product's last bits depend on the rows beside a row:
  // docs/DETERMINISM.md; MKL on an AMD EPYC measured 1.1e-6). Other patterns would differ by O(1).
  const std::string wrapped = "smoothgrad(pattern_attribution(fit_count=48), n=2, sigma=0)";
  EXPECT_LT(test::max_rel_error(MethodRegistry::instance().make(wrapped)->attribute(reuse, x, targets), first), 1e-5);
  AttributionContext fit_only{g, 32};
  fit_only.fit_data = &data;
  EXPECT_LT(test::max_rel_error(MethodRegistry::instance().make(wrapped)->attribute(fit_only, x, targets), first),
            1e-5);
}
