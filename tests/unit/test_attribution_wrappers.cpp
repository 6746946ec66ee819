// SmoothGrad and VarGrad over any registered method: sigma 0 gives the base method (and zero
// variance), the noise scale is sigma * range per image, results are reproducible from the seed and
// do not depend on batching or on the other images in the batch.
#include <torch/torch.h>

#include "attribution/callable_method.h"
#include "attribution/noise_tunnel.h"
#include "attribution/registry.h"
#include "models/builtin.h"
#include "models/layers.h"
#include "test_util.h"

using namespace sanity;

namespace {

Tensor explain(const Graph& g, const std::string& spec, const Tensor& x, const Tensor& targets, uint64_t seed = 0,
               int64_t batch = 64, Tensor ids = {}) {
  AttributionContext ctx{g, batch, seed, ids.defined() ? ids : torch::arange(x.size(0)), nullptr};
  return MethodRegistry::instance().make(spec)->attribute(ctx, x, targets);
}

// S(x) = w . x + b: its gradient is w everywhere, so noise statistics are known in closed form.
Graph linear_model(const Tensor& w) {
  Graph g;
  int in = g.add_input({"input", {1, 4, 4}});
  int f = g.add("flat", std::make_unique<Flatten>(1), {in});
  g.add("fc", std::make_unique<Linear>(w, torch::zeros({w.size(0)})), {f});
  return g;
}

}  // namespace

TEST(NoiseTunnel, SigmaZeroSmoothGradEqualsItsBaseMethod) {
  Graph g = build_cnn(1);
  torch::manual_seed(0);
  const Tensor x = torch::rand({2, 1, 28, 28}), t = torch::tensor({2, 5});
  for (const char* base : {"gradient", "guided_backprop", "integrated_gradients(steps=8)", "gradcam", "deconvnet",
                           "sobel"}) {
    const Tensor expected = explain(g, base, x, t);
    const Tensor smooth = explain(g, std::string("smoothgrad(") + base + ", n=3, sigma=0)", x, t);
    EXPECT_LT(test::max_rel_error(smooth, expected), 1e-5) << base;
  }
}

TEST(NoiseTunnel, SigmaZeroVarGradIsZero) {
  Graph g = build_cnn(2);
  const Tensor x = torch::rand({2, 1, 28, 28}), t = torch::tensor({0, 1});
  for (const char* base : {"gradient", "guided_backprop", "integrated_gradients(steps=4)"}) {
    const Tensor v = explain(g, std::string("vargrad(") + base + ", n=6, sigma=0)", x, t, 0, 4);
    const double scale = explain(g, base, x, t).abs().max().item<double>();
    ASSERT_GT(scale, 0.0);
    EXPECT_LE(v.abs().max().item<double>(), 1e-12 * scale * scale) << base;
    // With noise the variance is not zero: the test above can fail.
    EXPECT_GT(explain(g, std::string("vargrad(") + base + ", n=6)", x, t).abs().max().item<double>(), 0.0) << base;
  }
}

TEST(NoiseTunnel, SameSeedGivesIdenticalMapsAndOtherSeedsDiffer) {
  Graph g = build_cnn(3);
  const Tensor x = torch::rand({4, 1, 28, 28}), t = torch::tensor({1, 3, 5, 7});
  for (const char* spec : {"smoothgrad(gradient, n=6)", "vargrad(guided_backprop, n=6)"}) {
    const Tensor a = explain(g, spec, x, t, 11);
    EXPECT_TRUE(torch::equal(a, explain(g, spec, x, t, 11))) << spec;
    EXPECT_FALSE(torch::allclose(a, explain(g, spec, x, t, 12))) << spec;
    // The noise is keyed by (seed, image id), not by position or batch: chunks of 5 rows and a batch
    // holding only image 2 (id 2) give image 2 the same map.
    EXPECT_LT(test::max_rel_error(explain(g, spec, x, t, 11, 5), a), 1e-5) << spec;
    const Tensor alone = explain(g, spec, x.narrow(0, 2, 1), t.narrow(0, 2, 1), 11, 64, torch::tensor({2}));
    EXPECT_LT(test::max_rel_error(alone[0], a[2]), 1e-5) << spec;
  }
}

TEST(NoiseTunnel, SmoothGradAndVarGradSummarizeTheSameSamples) {
  // vargrad = mean of squares - square of the mean, where the mean is smoothgrad's.
  Graph g = build_cnn(4);
  const Tensor x = torch::rand({2, 1, 28, 28}), t = torch::tensor({3, 8});
  const Tensor mean = explain(g, "smoothgrad(gradient, n=8)", x, t);
  const Tensor var = explain(g, "vargrad(gradient, n=8)", x, t);
  AttributionContext ctx{g, 64, 0, torch::arange(2), nullptr};
  NoiseTunnelResult both = noise_tunnel(*MethodRegistry::instance().make("gradient"), ctx, x, t, 8, 0.15, true);
  EXPECT_LT(test::max_rel_error(both.mean, mean), 1e-6);
  EXPECT_LT(test::max_rel_error(both.variance, var), 1e-6);
}

TEST(NoiseTunnel, NoiseScaleIsSigmaTimesTheImageRange) {
  // On S(x) = w . x: gradient_x_input(x + g) = w (x + g), so SmoothGrad -> w x and VarGrad -> w^2 s^2
  // with s = sigma * (max x - min x). Averaged over the 16 pixels and 2000 samples the relative error of
  // the variance estimate is about sqrt(2 / 2000 / 16) = 0.8 %.
  torch::manual_seed(6);
  const Tensor w = torch::randn({1, 16});
  Graph g = linear_model(w);
  const Tensor x = torch::stack({torch::rand({1, 4, 4}) * 3, torch::rand({1, 4, 4}) * 0.5 + 2});
  const Tensor t = torch::zeros({2}, torch::kInt64);
  const double sigma = 0.2;
  const Tensor var = explain(g, "vargrad(gradient_x_input, n=2000, sigma=0.2)", x, t, 0, 512);
  const Tensor w2 = (w * w).view({1, 1, 4, 4});
  for (int64_t i = 0; i < 2; ++i) {
    const double s = sigma * (x[i].max() - x[i].min()).item<double>();
    const double ratio = (var[i] / (w2[0] * s * s)).mean().item<double>();
    EXPECT_NEAR(ratio, 1.0, 0.04) << "image " << i;
  }
  const Tensor mean = explain(g, "smoothgrad(gradient_x_input, n=2000, sigma=0.2)", x, t, 0, 512);
  const Tensor wx = w.view({1, 1, 4, 4}) * x;
  EXPECT_LT(test::max_rel_error(mean, wx), 0.05);
  // The gradient of a linear model ignores the noise entirely.
  EXPECT_LT(test::max_rel_error(explain(g, "smoothgrad(gradient, n=7, sigma=0.5)", x, t),
                                w.view({1, 1, 4, 4}).expand_as(x)),
            1e-5);
}

TEST(NoiseTunnel, WrapsAnyRegisteredMethodIncludingLaterOnes) {
  // A family registered after the wrappers (as the LRP family will be) is wrapped by name.
  MethodRegistry& r = MethodRegistry::instance();
  if (!r.find("test_twice_gradient")) {
    r.add({"test_twice_gradient", "2 * gradient (test only)", {}, 0, [](const MethodSpec&) -> MethodPtr {
             struct Twice : Method {
               MethodSpec spec() const override { return {"test_twice_gradient", {}, {}}; }
               Tensor attribute(const AttributionContext& c, const Tensor& x, const Tensor& t) const override {
                 return MethodRegistry::instance().make("gradient")->attribute(c, x, t) * 2;
               }
             };
             return std::make_shared<Twice>();
           }});
  }
  Graph g = build_cnn(8);
  const Tensor x = torch::rand({2, 1, 28, 28}), t = torch::tensor({1, 2});
  EXPECT_LT(test::max_rel_error(explain(g, "smoothgrad(test_twice_gradient, sigma=0, n=3)", x, t),
                                explain(g, "gradient", x, t) * 2),
            1e-5);
  // Nesting works, and canonical specs record every default.
  EXPECT_EQ(r.make("smoothgrad(integrated_gradients)")->spec().str(),
            "smoothgrad(integrated_gradients(baseline=zero, rule=linspace, steps=50), n=50, sigma=0.15)");
  EXPECT_EQ(r.make("vargrad(guided_backprop)")->spec().str(), "vargrad(guided_backprop, n=50, sigma=0.15)");
  EXPECT_EQ(r.make("vargrad(smoothgrad(gradient, n=2), n=3)")->spec().str(),
            "vargrad(smoothgrad(gradient, n=2, sigma=0.15), n=3, sigma=0.15)");
  EXPECT_TRUE(explain(g, "vargrad(smoothgrad(gradient, n=2), n=3)", x, t).isfinite().all().item<bool>());
  EXPECT_FALSE(r.make("smoothgrad(sobel)")->uses_model());
  EXPECT_TRUE(r.make("smoothgrad(gradient)")->uses_model());
}

// The registered methods share one pass through a cache: the second of smoothgrad / vargrad must give
// what a fresh pass gives, and another model (other weights, same architecture) must not read the old entry.
TEST(NoiseTunnel, SmoothGradAndVarGradShareOnePassButNotAcrossModels) {
  Graph g = build_cnn(11);
  torch::manual_seed(4);
  const Tensor x = torch::rand({3, 1, 28, 28}), t = torch::tensor({1, 4, 9});
  const auto direct = [&](const Graph& model) {
    AttributionContext ctx{model, 64, 0, torch::arange(x.size(0)), nullptr};
    return noise_tunnel(*MethodRegistry::instance().make("gradient"), ctx, x, t, 5, 0.15, true);
  };
  const Tensor var = explain(g, "vargrad(gradient, n=5)", x, t);
  const Tensor mean = explain(g, "smoothgrad(gradient, n=5)", x, t);  // from the cache
  NoiseTunnelResult fresh = direct(g);
  EXPECT_TRUE(torch::equal(mean, fresh.mean));
  EXPECT_TRUE(torch::equal(var, fresh.variance));
  mean.zero_();  // a caller editing its map must not edit the cached one
  EXPECT_TRUE(torch::equal(explain(g, "smoothgrad(gradient, n=5)", x, t), fresh.mean));

  const Graph changed = build_cnn(12);
  const Tensor after = explain(changed, "smoothgrad(gradient, n=5)", x, t);
  EXPECT_TRUE(torch::equal(after, direct(changed).mean));
  EXPECT_FALSE(torch::allclose(after, fresh.mean));
}

// SmoothGrad-squared (Captum's smoothgrad_sq): the mean of M^2 over the noisy copies of smoothgrad(M).
// The reference squares M's maps itself (Squared below) in a pass of its own through noise_tunnel();
// the method derives it from the mean and variance of the pass it shares with smoothgrad(M) and
// vargrad(M), and runs no pass of its own after them (a counting method shows it).
TEST(NoiseTunnel, SmoothGradSquaredIsTheMeanOfSquaresFromTheSharedPass) {
  struct Squared : Method {
    MethodPtr inner;
    explicit Squared(MethodPtr m) : inner(std::move(m)) {}
    MethodSpec spec() const override { return {"squared", {inner->spec()}, {}}; }
    Tensor attribute(const AttributionContext& c, const Tensor& x, const Tensor& t) const override {
      return inner->attribute(c, x, t).square();
    }
  };
  Graph g = build_cnn(4);
  torch::manual_seed(1);
  const Tensor x = torch::rand({3, 1, 28, 28}), t = torch::tensor({1, 4, 7});
  for (const char* base : {"gradient", "guided_backprop", "integrated_gradients(steps=4)"}) {
    const Tensor sq = explain(g, std::string("smoothgrad_squared(") + base + ", n=7, sigma=0.2)", x, t, 5, 4);
    AttributionContext ctx{g, 4, 5, torch::arange(x.size(0)), nullptr};
    const Squared squared(MethodRegistry::instance().make(base));
    const Tensor reference = noise_tunnel(squared, ctx, x, t, 7, 0.2, false).mean;
    EXPECT_LT(test::max_rel_error(sq, reference), 1e-6) << base;
    const Tensor mean = explain(g, std::string("smoothgrad(") + base + ", n=7, sigma=0.2)", x, t, 5, 4);
    // Not the square of the mean: the noise contributes the variance (this comparison can fail).
    EXPECT_GT((sq - mean.square()).abs().max().item<double>(), 1e-3 * sq.abs().max().item<double>()) << base;
    // Noise-free copies: exactly M^2.
    const Tensor clean = explain(g, std::string("smoothgrad_squared(") + base + ", n=3, sigma=0)", x, t);
    EXPECT_LT(test::max_rel_error(clean, explain(g, base, x, t).square()), 1e-5) << base;
  }
  int64_t rows = 0;
  CallableMethodDef counted;
  counted.name = "test_counted_gradient";
  counted.version = "1";
  counted.maps = [&rows](const Graph& model, const Tensor& xi, const Tensor& ti) {
    rows += xi.size(0);
    return MethodRegistry::instance().make("gradient")->attribute(AttributionContext{model}, xi, ti);
  };
  const ScopedMethod scope(std::move(counted));
  explain(g, "vargrad(test_counted_gradient, n=7, sigma=0.2)", x, t, 5, 4);
  EXPECT_EQ(rows, 3 * 7);
  explain(g, "smoothgrad_squared(test_counted_gradient, n=7, sigma=0.2)", x, t, 5, 4);
  explain(g, "smoothgrad(test_counted_gradient, n=7, sigma=0.2)", x, t, 5, 4);
  EXPECT_EQ(rows, 3 * 7) << "smoothgrad_squared and smoothgrad read vargrad's pass";
  EXPECT_EQ(MethodRegistry::instance().make("smoothgrad_squared(gradient)")->spec().str(),
            "smoothgrad_squared(gradient, n=50, sigma=0.15)");
}
