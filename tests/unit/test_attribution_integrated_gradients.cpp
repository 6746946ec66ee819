// Integrated Gradients: completeness (sum E = S_c(x) - S_c(x')), the quadrature rules, baselines,
// and the reported gap.
#include <torch/torch.h>

#include "attribution/integrated_gradients.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "models/builtin.h"
#include "models/layers.h"
#include "test_util.h"

using namespace sanity;

namespace {

struct IgRun {
  Tensor maps;
  std::map<std::string, Tensor> diagnostics;
};

IgRun run_ig(const Graph& g, const std::string& spec, const Tensor& x, const Tensor& targets, int64_t batch = 64) {
  IgRun r;
  AttributionContext ctx{g, batch, 3, torch::arange(x.size(0)), &r.diagnostics};
  r.maps = MethodRegistry::instance().make(spec)->attribute(ctx, x, targets);
  return r;
}

Tensor target_logit(const Graph& g, const Tensor& x, const Tensor& targets) {
  torch::NoGradGuard ng;
  return g.forward(x).gather(1, targets.view({-1, 1})).view({-1});
}

}  // namespace

// Two digit-like images: bright strokes on black, as MNIST (uniform noise inputs would make the
// uniform baseline look like the input, and S(x) - S(x') vanish).
Tensor strokes() {
  Tensor x = torch::zeros({2, 1, 28, 28});
  x[0][0].narrow(0, 5, 18).narrow(1, 12, 4).fill_(1.0);                          // a "1"
  Tensor yy = torch::arange(28).view({28, 1}).to(torch::kFloat32) - 13.5, xx = yy.view({1, 28});
  Tensor r = torch::sqrt(yy * yy + xx * xx);
  x[1][0] = ((r > 6) & (r < 10)).to(torch::kFloat32) * (0.6 + 0.4 * torch::sigmoid(xx));  // an "0"
  return x;
}

TEST(IntegratedGradients, CompletenessWithinOnePercentAt256Steps) {
  // The acceptance: at 256 steps the attributions sum to S(x) - S(baseline) within 1 %.
  Graph g = build_cnn(5);
  const Tensor x = strokes();
  const Tensor targets = predicted_classes(g, x);
  for (const char* spec : {"integrated_gradients(steps=256)", "integrated_gradients(steps=256, rule=trapezoid, "
                           "baseline=uniform)", "integrated_gradients(steps=256, rule=midpoint, baseline=blur)"}) {
    SCOPED_TRACE(spec);
    IgRun r = run_ig(g, spec, x, targets);
    const Tensor delta = r.diagnostics.at("output_difference");
    const Tensor sums = r.maps.sum({1, 2, 3});
    // The reported gap is the one we can recompute from the maps.
    EXPECT_LT((r.diagnostics.at("completeness_gap") - (sums - delta)).abs().max().item<double>(),
              1e-4 * delta.abs().max().item<double>());
    for (int64_t i = 0; i < x.size(0); ++i) {
      const double d = delta[i].item<double>(), s = sums[i].item<double>();
      ASSERT_GT(std::abs(d), 0.05) << "degenerate test input " << i;
      EXPECT_LT(std::abs(s - d), 0.01 * std::abs(d)) << "image " << i << ": sum " << s << ", S(x) - S(x') " << d;
    }
  }
  // With the zero baseline S(x') is the logit of a black image, which we can compute independently.
  IgRun r = run_ig(g, "integrated_gradients(steps=2)", x, targets);
  const Tensor delta = target_logit(g, x, targets) - target_logit(g, torch::zeros_like(x), targets);
  EXPECT_LT(test::max_rel_error(r.diagnostics.at("output_difference"), delta), 1e-5);
}

TEST(IntegratedGradients, GapShrinksWithMoreSteps) {
  Graph g = build_cnn(6);
  torch::manual_seed(3);
  const Tensor x = torch::rand({2, 1, 28, 28});
  const Tensor t = predicted_classes(g, x);
  const double coarse = run_ig(g, "integrated_gradients(steps=4, rule=trapezoid)", x, t)
                            .diagnostics.at("completeness_gap").abs().sum().item<double>();
  const double fine = run_ig(g, "integrated_gradients(steps=64, rule=trapezoid)", x, t)
                          .diagnostics.at("completeness_gap").abs().sum().item<double>();
  EXPECT_LT(fine, coarse);
}

TEST(IntegratedGradients, QuadratureRules) {
  auto check = [](const std::string& rule, int64_t m, std::vector<double> alphas, std::vector<double> weights) {
    Quadrature q = make_quadrature(rule, m);
    ASSERT_EQ(q.alphas.size(), alphas.size()) << rule;
    for (size_t k = 0; k < alphas.size(); ++k) {
      EXPECT_NEAR(q.alphas[k], alphas[k], 1e-12) << rule << " " << k;
      EXPECT_NEAR(q.weights[k], weights[k], 1e-12) << rule << " " << k;
    }
  };
  check("linspace", 5, {0, 0.25, 0.5, 0.75, 1}, {0.2, 0.2, 0.2, 0.2, 0.2});
  check("trapezoid", 5, {0, 0.25, 0.5, 0.75, 1}, {0.125, 0.25, 0.25, 0.25, 0.125});
  check("left", 4, {0, 0.25, 0.5, 0.75}, {0.25, 0.25, 0.25, 0.25});
  check("right", 4, {0.25, 0.5, 0.75, 1}, {0.25, 0.25, 0.25, 0.25});
  check("midpoint", 2, {0.25, 0.75}, {0.5, 0.5});
  EXPECT_THROW(make_quadrature("linspace", 1), InputError);
  EXPECT_NO_THROW(make_quadrature("midpoint", 1));
}

TEST(IntegratedGradients, OnALinearModelEveryRuleIsExact) {
  // S(x) = w . x + b has a constant gradient, so IG = (x - x') * w for every rule and step count.
  Graph g;
  int in = g.add_input({"input", {1, 3, 3}});
  int f = g.add("flat", std::make_unique<Flatten>(1), {in});
  torch::manual_seed(4);
  const Tensor w = torch::randn({2, 9});
  g.add("fc", std::make_unique<Linear>(w, torch::randn({2})), {f});
  const Tensor x = torch::randn({2, 1, 3, 3}), t = torch::tensor({1, 0});
  const Tensor expected = x * w.index_select(0, t).view({2, 1, 3, 3});
  for (const char* rule : {"linspace", "left", "right", "midpoint", "trapezoid"})
    EXPECT_LT(test::max_rel_error(run_ig(g, std::string("integrated_gradients(steps=3, rule=") + rule + ")", x, t).maps,
                                  expected),
              1e-5)
        << rule;
}

TEST(IntegratedGradients, BatchingDoesNotChangeTheResult) {
  // Steps of all images are flattened into rows and chunked: chunk boundaries must not matter.
  Graph g = build_cnn(7);
  const Tensor x = torch::rand({3, 1, 28, 28});
  const Tensor t = torch::tensor({1, 4, 9});
  const Tensor big = run_ig(g, "integrated_gradients(steps=10, baseline=uniform)", x, t, 64).maps;
  const Tensor odd = run_ig(g, "integrated_gradients(steps=10, baseline=uniform)", x, t, 7).maps;
  EXPECT_LT(test::max_rel_error(odd, big), 1e-5);
}

TEST(IntegratedGradients, Baselines) {
  torch::manual_seed(5);
  const Tensor x = torch::rand({2, 3, 9, 11}) * 2 - 0.5;
  const Tensor ids = torch::tensor({10, 11});
  EXPECT_TRUE(torch::equal(ig_baseline("zero", x, ids, 0, 5), torch::zeros_like(x)));
  // Uniform noise within each image's range, reproducible from (seed, id), different per id.
  const Tensor u = ig_baseline("uniform", x, ids, 0, 5);
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_GE(u[i].min().item<double>(), x[i].min().item<double>());
    EXPECT_LE(u[i].max().item<double>(), x[i].max().item<double>());
  }
  EXPECT_TRUE(torch::equal(u, ig_baseline("uniform", x, ids, 0, 5)));
  EXPECT_TRUE(torch::equal(u[1], ig_baseline("uniform", x.narrow(0, 1, 1), ids.narrow(0, 1, 1), 0, 5)[0]));
  EXPECT_FALSE(torch::equal(u, ig_baseline("uniform", x, ids, 1, 5)));
  // Blur keeps each channel's mean of a constant image and smooths a spike into a Gaussian.
  Tensor spike = torch::zeros({1, 1, 21, 21});
  spike[0][0][10][10] = 1;
  const Tensor b = gaussian_blur(spike, 2.0);
  EXPECT_NEAR(b.sum().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR((b[0][0][10][12] / b[0][0][10][10]).item<double>(), std::exp(-4.0 / 8.0), 1e-5);
  EXPECT_LT(test::max_rel_error(gaussian_blur(torch::full({1, 2, 5, 5}, 3.0), 4.0), torch::full({1, 2, 5, 5}, 3.0)),
            1e-6);
}
