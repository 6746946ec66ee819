// LRP rules, composites and canonization in closed form: LRP-0 on a linear model is gradient x input,
// conservation on bias-free ReLU networks (also through residual sums), BatchNorm folding, user
// rule maps, and errors.
#include <fstream>

#include "attribution/backprop_method.h"
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

Tensor attribute(const std::string& method, const Graph& g, const Tensor& x, const Tensor& targets) {
  return MethodRegistry::instance().make(method)->attribute({g}, x, targets);
}

// Total relevance at the output of every node the sweep visits, in float64.
std::map<int, double> relevance_per_node(const std::string& method, const Graph& g, const Tensor& x,
                                         const Tensor& targets) {
  auto m = std::dynamic_pointer_cast<const BackpropMethod>(MethodRegistry::instance().make(method));
  Sweep s = m->prepare({g}, x);
  std::map<int, double> sums;
  BackpropOptions o;
  o.rules = &s.rules;
  o.observe = [&](int k, const Tensor& r) { sums[k] = r.to(torch::kFloat64).sum().item<double>(); };
  backprop(g, s.acts, g.logits(), logit_seed(g, s.acts, targets, m->seed_scale()), o);
  return sums;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string p = test::temp_dir("lrp-rules") + "/" + name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST(LrpRules, LrpZeroOnALinearModelIsGradientTimesInput) {
  torch::manual_seed(0);
  Graph g;
  int x = g.add_input({"input", {1, 6, 6}});
  g.add("fc", test::linear(36, 4, true), {g.add("flat", std::make_unique<Flatten>(1), {x})});
  const Tensor in = torch::randn({5, 1, 6, 6}), targets = torch::tensor({0, 1, 2, 3, 0});
  const Tensor want = grad_x_input(g, in, targets);
  EXPECT_LT(test::max_rel_error(attribute("lrp_z(eps=0)", g, in, targets), want), 1e-6);
  EXPECT_LT(test::max_rel_error(attribute("lrp_z", g, in, targets), want), 1e-5);
}

TEST(LrpRules, LrpZeroConservesTheLogitOnABiasFreeCnn) {
  Graph g = test::bias_free_cnn(1);
  torch::manual_seed(1);
  const Tensor x = torch::rand({6, 1, 28, 28}), targets = torch::tensor({0, 1, 2, 3, 4, 5});
  const Tensor logits = g.forward(x).gather(1, targets.view({-1, 1})).view({-1}).to(torch::kFloat64);
  // With a negligible stabilizer the sum is the logit to float precision. The default 1e-6
  // stabilizer absorbs eps / (z + eps) of each unit's relevance: units with tiny pre-activations
  // lose a few percent, the whole map up to a few 1e-4 (2.04e-4 on one CI machine: BLAS rounding differs).
  const Tensor r0 = attribute("lrp_z(eps=1e-12)", g, x, targets);
  // Relative to the batch's largest logit: float rounding is relative to the terms summed, so a logit
  // that happens to be near 0 has no relative precision (1.2e-4 of one such logit was seen).
  const auto rel_gap = [&](const Tensor& map) {
    const Tensor r = map.to(torch::kFloat64).sum({1, 2, 3});
    return ((r - logits).abs() / logits.abs().max()).max().item<double>();
  };
  EXPECT_LT(rel_gap(r0), 1e-4);
  EXPECT_LT(rel_gap(attribute("lrp_z", g, x, targets)), 2e-3);
  // And it is gradient x input there (Euler's theorem for positively homogeneous networks).
  const Tensor gxi = grad_x_input(g, x, targets);
  EXPECT_GT(test::pearson(r0, gxi), 0.99999);
  EXPECT_LT(test::max_rel_error(r0, gxi), 1e-3);
}

TEST(LrpRules, ZPlusAndAlphaBetaConserveAtEveryLayerOfABiasFreeReluNetwork) {
  Graph g = test::bias_free_cnn(2);
  torch::manual_seed(2);
  const Tensor x = torch::rand({1, 1, 28, 28});
  const Tensor targets = g.forward(x).argmax(1);
  const double logit = g.forward(x).max().item<double>();
  // (deep_taylor is not here: its w^2 rule at the logits gives relevance to dead ReLU units too,
  // which their zero gradient then drops, as in Sixt et al.'s DTD.)
  for (const char* m : {"lrp_zplus", "lrp_alpha1beta0", "lrp_alpha2beta1", "excitation_backprop"}) {
    const auto sums = relevance_per_node(m, g, x, targets);
    ASSERT_EQ(static_cast<int>(sums.size()), g.size()) << m;
    // The top carries the logit (Excitation Backprop: 1); every layer below carries the same.
    const double top = sums.at(g.logits());
    EXPECT_NEAR(top, std::string(m) == "excitation_backprop" ? 1.0 : logit, 1e-5 * std::abs(logit)) << m;
    for (const auto& [k, total] : sums)
      EXPECT_NEAR(total / top, 1.0, 1e-4) << m << " at " << g.node(k).name;
  }
}

TEST(LrpRules, ResidualSumsSplitRelevanceWithoutDoublingIt) {
  // zennit#236: relevance doubles when both branches of a sum get the whole signal.
  Graph g = test::bias_free_resnet(3);
  const Tensor x = torch::rand({4, 3, 8, 8}), targets = torch::tensor({0, 1, 2, 3});
  const Tensor logits = g.forward(x).gather(1, targets.view({-1, 1})).view({-1}).to(torch::kFloat64);
  const Tensor r = attribute("lrp_z", g, x, targets).to(torch::kFloat64).sum({1, 2, 3});
  EXPECT_LT(((r - logits).abs() / logits.abs()).max().item<double>(), 1e-4);
  // Each branch of the first sum gets its share: the two shares add up to the sum's relevance.
  const auto sums = relevance_per_node("lrp_z", g.clone(), x.narrow(0, 0, 1), targets.narrow(0, 0, 1));
  const int sum = g.find("sum"), relu1 = g.find("relu1"), relu2 = g.find("relu2");
  EXPECT_NEAR(sums.at(sum), logits[0].item<double>(), 1e-4 * std::abs(logits[0].item<double>()));
  // The residual branch gets a share, not the whole (doubling would give it all of it again).
  EXPECT_GT(std::abs(sums.at(relu2) - logits[0].item<double>()), 1e-3 * std::abs(logits[0].item<double>()));
  // relu1 feeds conv2 and the skip: everything that reaches it sums back to the total.
  EXPECT_NEAR(sums.at(relu1), logits[0].item<double>(), 1e-4 * std::abs(logits[0].item<double>()));
}

TEST(LrpRules, BatchNormIsFoldedIntoThePrecedingConvAndTheModelIsLeftUntouched) {
  torch::manual_seed(4);
  Graph g;
  int x = g.add_input({"input", {2, 6, 6}});
  auto c = test::conv(2, 4, 3, true);
  const Tensor w = c->weight().clone(), b = c->bias().clone();
  const Tensor gamma = torch::rand({4}) + 0.5, beta = torch::randn({4}) * 0.1, mean = torch::randn({4}) * 0.2,
               var = torch::rand({4}) + 0.5;
  int h = g.add("conv", std::move(c), {x});
  h = g.add("bn", std::make_unique<BatchNorm>(gamma, beta, mean, var, 1e-5), {h});
  h = g.add("relu", std::make_unique<ReLU>(), {h});
  torch::manual_seed(5);
  g.add("fc", test::linear(144, 3), {g.add("flat", std::make_unique<Flatten>(1), {h})});

  // The same network with the BatchNorm folded by hand.
  Graph f;
  int fx = f.add_input({"input", {2, 6, 6}});
  const Tensor s = gamma / torch::sqrt(var + 1e-5);
  auto fc = std::make_unique<Conv2d>(w * s.view({-1, 1, 1, 1}), (b - mean) * s + beta, std::vector<int64_t>{1, 1},
                                     Pads2d{1, 1, 1, 1}, std::vector<int64_t>{1, 1}, 1);
  int fh = f.add("relu", std::make_unique<ReLU>(), {f.add("conv", std::move(fc), {fx})});
  f.add("fc", std::make_unique<Linear>(g.layer(g.find("fc")).params()[0].value.clone(),
                                       g.layer(g.find("fc")).params()[1].value.clone()),
        {f.add("flat", std::make_unique<Flatten>(1), {fh})});

  const Tensor in = torch::randn({3, 2, 6, 6}), targets = torch::tensor({0, 1, 2});
  ASSERT_LT(test::max_rel_error(g.forward(in), f.forward(in)), 1e-5);
  for (const char* m : {"lrp_epsilon_plus_flat", "lrp_epsilon_gamma_box", "lrp_alpha2beta1", "deep_taylor"})
    EXPECT_LT(test::max_rel_error(attribute(m, g, in, targets), attribute(m, f, in, targets)), 1e-4) << m;
  // Identical outputs before and after, the BatchNorm's parameters untouched.
  EXPECT_TRUE(torch::equal(g.layer(g.find("conv")).params()[0].value, w));
  EXPECT_TRUE(torch::equal(*g.layer(g.find("bn")).find_param("running_mean"), mean));
  // Also after an error half-way (a rules file naming a layer the model lacks).
  const std::string bad = write_file("bad.json", R"J([{"layer": "nope", "rule": "flat"}])J");
  EXPECT_THROW(attribute("lrp_zplus(rules=" + bad + ")", g, in, targets), InputError);
  EXPECT_TRUE(torch::equal(g.layer(g.find("conv")).params()[0].value, w));
}

TEST(LrpRules, UserRuleMapsComeBeforeThePresetsRules) {
  Graph g = build_cnn(6);
  const Tensor x = torch::rand({2, 1, 28, 28}), targets = torch::tensor({3, 7});
  const std::string map = write_file(
      "map.json", R"J({"rules": [{"position": "first", "rule": "flat"}, {"kind": "conv", "rule": "zplus"}]})J");
  EXPECT_LT(test::max_rel_error(attribute("lrp_epsilon(rules=" + map + ")", g, x, targets),
                                attribute("lrp_epsilon_plus_flat", g, x, targets)),
            1e-6);
  const std::string by_name = write_file("names.json", R"J([{"layer": "conv1", "rule": "flat"},
      {"layer": "conv2", "rule": "zplus"}, {"kind": "linear", "rule": "epsilon(eps=0.25)"}])J");
  EXPECT_LT(test::max_rel_error(attribute("lrp_z(rules=" + by_name + ")", g, x, targets),
                                attribute("lrp_epsilon_plus_flat", g, x, targets)),
            1e-6);
  // A different mapping gives a different map: the entries are really used.
  EXPECT_GT(test::max_rel_error(attribute("lrp_z", g, x, targets), attribute("lrp_epsilon_plus_flat", g, x, targets)),
            1e-2);
}

TEST(LrpRules, CanonicalSpecsRecordEveryDefault) {
  auto& r = MethodRegistry::instance();
  EXPECT_EQ(r.make("lrp_epsilon")->spec().str(), "lrp_epsilon(eps=0.25)");
  EXPECT_EQ(r.make("lrp_z")->spec().str(), "lrp_z(eps=1e-06)");
  EXPECT_EQ(r.make("lrp_epsilon_gamma_box")->spec().str(),
            "lrp_epsilon_gamma_box(eps=0.25, gamma=0.25, high=auto, low=auto)");
  EXPECT_EQ(r.make("rectgrad")->spec().str(), "rectgrad(q=98)");
  EXPECT_EQ(r.make("deeplift")->spec().str(), "deeplift(reference=zero)");
  EXPECT_EQ(r.make("pattern_attribution")->spec().str(), "pattern_attribution(fit_count=5000, fit_seed=0, mean_y=positive)");
}

TEST(LrpRules, BadOptionsAndRuleFilesAreOneLineInputErrors) {
  auto& r = MethodRegistry::instance();
  auto message = [&](const std::string& spec) {
    try {
      r.make(spec);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("lrp_epsilon(eps=-1)").find("eps=-1 must be >= 0"), std::string::npos);
  EXPECT_NE(message("lrp_epsilon(eps=abc)").find("not a number"), std::string::npos);
  EXPECT_NE(message("rectgrad(q=150)").find("percentile"), std::string::npos);
  EXPECT_NE(message("lrp_z(rules=/nonexistent.json)").find("/nonexistent.json"), std::string::npos);
  const std::string ab = write_file("ab.json", R"J([{"kind": "conv", "rule": "alpha_beta(alpha=2, beta=0.5)"}])J");
  EXPECT_NE(message("lrp_z(rules=" + ab + ")").find("alpha - beta = 1"), std::string::npos);
  const std::string kind = write_file("kind.json", R"J([{"kind": "convolution", "rule": "flat"}])J");
  EXPECT_NE(message("lrp_z(rules=" + kind + ")").find("unknown layer kind"), std::string::npos);
  const std::string rule = write_file("rule.json", R"J([{"kind": "conv", "rule": "magic"}])J");
  EXPECT_NE(message("lrp_z(rules=" + rule + ")").find("unknown rule 'magic'"), std::string::npos);
  // A linear-layer rule on a node that has no weights.
  const std::string relu = write_file("relu.json", R"J([{"kind": "relu", "rule": "zplus"}])J");
  Graph g = build_cnn(0);
  EXPECT_THROW(r.make("lrp_z(rules=" + relu + ")")->attribute({g}, torch::rand({1, 1, 28, 28}), torch::tensor({1})),
               InputError);
}
