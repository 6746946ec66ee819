// Parameter randomization: stage plans, re-initialization distributions, determinism; stage models on
// the trained model's layers, explained together with it bit for bit as one at a time.
#include <torch/torch.h>

#include "attribution/explain_batch.h"
#include "attribution/noise_tunnel.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "core/runtime.h"
#include "models/activation_reuse.h"
#include "models/fingerprint.h"
#include "models/train.h"
#include "models/builtin.h"
#include "models/layers.h"
#include "randomization/stages.h"
#include "test_util.h"

using namespace sanity;

namespace {

bool same_params(const Graph& a, const Graph& b, int node) {
  const auto &pa = a.node(node).layer->params(), &pb = b.node(node).layer->params();
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i].value, pb[i].value)) return false;
  return true;
}

std::vector<std::string> names(const Graph& g, const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int k : nodes) out.push_back(g.node(k).name);
  return out;
}

}  // namespace

TEST(Randomization, CascadingRandomizesTheTopLayersOnly) {
  Graph trained = build_cnn(1);
  auto stages = plan_stages(layer_groups(trained), RandomizationOrder::Cascading);
  ASSERT_EQ(stages.size(), 5u);
  EXPECT_EQ(stages[0].name, "original");
  EXPECT_EQ(stages[2].name, "fc1");
  EXPECT_EQ(names(trained, stages[2].randomized), (std::vector<std::string>{"fc2", "fc1"}));
  ReinitOptions o;
  Graph g = stage_model(trained, stages[2], o);
  for (const char* n : {"fc2", "fc1"}) EXPECT_FALSE(same_params(trained, g, trained.find(n))) << n;
  for (const char* n : {"conv2", "conv1"}) EXPECT_TRUE(same_params(trained, g, trained.find(n))) << n;
}

TEST(Randomization, BottomUpAndIndependentOrders) {
  Graph trained = build_mlp(1);
  auto groups = layer_groups(trained);
  auto up = plan_stages(groups, RandomizationOrder::BottomUp);
  EXPECT_EQ(names(trained, up[1].randomized), (std::vector<std::string>{"hidden1"}));
  EXPECT_EQ(names(trained, up[2].randomized), (std::vector<std::string>{"hidden1", "hidden2"}));
  auto ind = plan_stages(groups, RandomizationOrder::Independent);
  ASSERT_EQ(ind.size(), 5u);
  for (int s = 1; s <= 4; ++s) EXPECT_EQ(ind[s].randomized.size(), 1u);
  EXPECT_EQ(ind[3].name, "hidden2");
}

TEST(Randomization, ALayerGetsTheSameValuesAtEveryStageAndEqualShapesDiffer) {
  Graph trained = build_cnn(1);
  auto stages = plan_stages(layer_groups(trained), RandomizationOrder::Cascading);
  ReinitOptions o;
  o.seed = 42;
  Graph s2 = stage_model(trained, stages[2], o), s4 = stage_model(trained, stages[4], o);
  EXPECT_TRUE(same_params(s2, s4, trained.find("fc2")));
  EXPECT_TRUE(same_params(s2, s4, trained.find("fc1")));
  o.seed = 43;
  Graph other = stage_model(trained, stages[2], o);
  EXPECT_FALSE(same_params(s2, other, trained.find("fc2")));
}

// Stage models built on the trained model's layer objects have the weights of stage_model's copies,
// share the trained layers they keep and one copy of each re-initialized layer, and leave the trained
// model as it was.
TEST(Randomization, SharedStageModelsHaveTheCopiesWeights) {
  const Graph trained = build_cnn(1);
  const ContentKey::Digest before = model_fingerprint(trained);
  ReinitOptions o;
  o.seed = 7;
  std::map<int, std::shared_ptr<Layer>> fresh;
  for (const auto order : {RandomizationOrder::Cascading, RandomizationOrder::Independent})
    for (const Stage& s : plan_stages(layer_groups(trained), order)) {
      const Graph shared = shared_stage_model(trained, s, o, fresh);
      EXPECT_EQ(model_fingerprint(shared), model_fingerprint(stage_model(trained, s, o))) << s.name;
      for (int k = 1; k < trained.size(); ++k) {
        const bool randomized = std::count(s.randomized.begin(), s.randomized.end(), k) > 0;
        EXPECT_EQ(shared.node(k).layer.get() == trained.node(k).layer.get(), !randomized) << s.name << " " << k;
        if (randomized) EXPECT_EQ(shared.node(k).layer.get(), fresh.at(k).get());
      }
    }
  EXPECT_EQ(fresh.size(), 4u);  // conv1, conv2, fc1, fc2: once each
  EXPECT_EQ(model_fingerprint(trained), before);
}

namespace {

// Every cascading and independent stage model of `trained` on its layer objects, with the trained
// model first, and each model's predicted classes of `images`.
struct StagedModels {
  std::vector<Graph> stages;
  std::vector<const Graph*> models;
  std::vector<Tensor> targets;
};
void stage_models(const Graph& trained, const Tensor& images, StagedModels& out) {
  ReinitOptions o;
  std::map<int, std::shared_ptr<Layer>> fresh;
  for (const auto order : {RandomizationOrder::Cascading, RandomizationOrder::Independent})
    for (const Stage& s : plan_stages(layer_groups(trained), order))
      if (!s.randomized.empty()) out.stages.push_back(shared_stage_model(trained, s, o, fresh));
  out.models = {&trained};
  for (const Graph& g : out.stages) out.models.push_back(&g);
  for (const Graph* g : out.models) out.targets.push_back(predicted_classes(*g, images));
}

// The maps of `trained` and its stage models explained together equal those explained one model at a
// time on deep copies (no sharing), and sharing happened.
void expect_together_as_alone(const Graph& trained, const Tensor& images, const Tensor& ids, const std::string& what,
                              Precision precision = Precision::kFloat32) {
  StagedModels staged;
  stage_models(trained, images, staged);
  const std::vector<const Graph*>& models = staged.models;
  // Images per call (explain_batch.h's plan): SmoothGrad n=3 2, n=4 2, n=5 1, IG 2, the sweeps all 7.
  // A schedule that filled passes of 8 rows across images would give rows other neighbours.
  ExplainOptions opts;
  opts.batch_size = 8;
  opts.precision = precision;
  for (const char* spec : {"gradient", "smoothgrad(gradient, n=3)", "smoothgrad(gradient, n=4)",
                           "smoothgrad(gradient, n=5)", "integrated_gradients(steps=3)", "guided_gradcam", "deeplift",
                           "lrp_epsilon_plus_flat"}) {
    if (std::string(spec) == "guided_gradcam" && !trained.try_find("conv2")) continue;  // the MLP has no conv
    const MethodPtr m = MethodRegistry::instance().make(spec);
    std::vector<Tensor> alone;
    for (size_t k = 0; k < models.size(); ++k)
      alone.push_back(explain_all(*m, models[k]->clone(), images, staged.targets[k], ids, opts));
    forget_noise_tunnel_results();  // SmoothGrad would read the maps just computed alone
    ActivationReuse scope(size_t{1} << 30);
    const int64_t reused = ActivationReuse::counts().reused;
    const std::vector<Tensor> together = explain_together(*m, models, images, staged.targets, ids, opts);
    EXPECT_GT(ActivationReuse::counts().reused, reused) << spec;
    ASSERT_EQ(together.size(), models.size());
    for (size_t k = 0; k < models.size(); ++k)
      EXPECT_TRUE(torch::equal(together[k], alone[k])) << spec << " model " << k << ", " << what;
  }
}

}  // namespace

// The acceptance of issues 20 and 33: maps of the trained model and of every cascading and
// independent stage, explained together (each stage's pass starting from the trained model's values
// below its first re-initialized layer, two methods sharing a forward pass), are bit for bit the maps
// explained one model at a time without any sharing; at one thread and at two, since how many
// threads split a product changes which rows a kernel sees.
TEST(Randomization, StagesExplainedTogetherAreBitIdenticalToOneAtATime) {
  torch::manual_seed(5);
  const Tensor images = torch::rand({7, 1, 28, 28}), ids = torch::arange(100, 107);
  for (const int threads : {1, 2}) {
    configure_threads(threads);
    expect_together_as_alone(build_cnn(2), images, ids, "CNN, " + std::to_string(threads) + " thread(s)");
    expect_together_as_alone(build_mlp(2), images, ids, "MLP, " + std::to_string(threads) + " thread(s)");
  }
  configure_threads(2);  // test_main's
  // The same holds in bf16 (core/precision.h): a bf16 run is bit for bit across its schedules too.
  if (cpu_has_bf16()) expect_together_as_alone(build_cnn(2), images, ids, "CNN in bf16", Precision::kBF16);
  // Accuracies too (the stage quantities): labels the trained model's classes of 64 images.
  const Graph trained = build_cnn(2);
  StagedModels staged;
  stage_models(trained, images, staged);
  const Tensor more = torch::rand({64, 1, 28, 28}), labels = predicted_classes(trained, more);
  ActivationReuse scope(size_t{1} << 30);
  const std::vector<double> acc = accuracies(staged.models, more, labels, 20);
  ASSERT_EQ(acc.size(), staged.models.size());
  EXPECT_EQ(acc[0], 1.0);
  for (size_t k = 0; k < staged.models.size(); ++k)
    EXPECT_EQ(acc[k], accuracy(staged.models[k]->clone(), more, labels, 20)) << k;
}

TEST(Randomization, OriginalInitializerMatchesTheAuthorsTruncatedNormal) {
  Graph trained = build_cnn(1);
  trained.layer(trained.find("fc1")).params()[0].value.mul_(7.0);  // "training" changed the scale
  ReinitOptions o;
  randomize_layer(trained, trained.find("fc1"), o);
  const Tensor w = trained.layer(trained.find("fc1")).params()[0].value;
  const Tensor b = trained.layer(trained.find("fc1")).params()[1].value;
  // N(0, 0.1) cut at 2 sd has sd 0.1 * 0.8796.
  EXPECT_NEAR(w.std().item<double>(), 0.08796, 0.001);
  EXPECT_LE(w.abs().max().item<double>(), 0.2 + 1e-6);
  EXPECT_TRUE(torch::allclose(b, torch::full_like(b, 0.1)));
}

TEST(Randomization, DefaultIsUniformInPlusMinusOneOverSqrtFanIn) {
  Graph trained = build_mlp(1);
  ReinitOptions o;
  o.distribution = ReinitDistribution::Default;
  const int k = trained.find("hidden2");
  randomize_layer(trained, k, o);
  const Tensor w = trained.layer(k).params()[0].value;
  const double bound = 1.0 / std::sqrt(2500.0);
  EXPECT_LE(w.abs().max().item<double>(), bound);
  EXPECT_NEAR(w.std().item<double>(), bound / std::sqrt(3.0), 0.02 * bound);
}

TEST(Randomization, PermuteKeepsTheWeightDistributionExactly) {
  Graph trained = build_cnn(1);
  const int k = trained.find("conv2");
  Tensor before = trained.layer(k).params()[0].value.clone();
  ReinitOptions o;
  o.distribution = ReinitDistribution::Permute;
  randomize_layer(trained, k, o);
  Tensor after = trained.layer(k).params()[0].value;
  EXPECT_FALSE(torch::equal(before, after));
  EXPECT_TRUE(torch::equal(std::get<0>(before.reshape({-1}).sort()), std::get<0>(after.reshape({-1}).sort())));
}

TEST(Randomization, BatchNormStatisticsAreKeptUnlessAskedOtherwise) {
  Graph g;
  int x = g.add_input({"input", {2, 4, 4}});
  x = g.add("bn", std::make_unique<BatchNorm>(torch::rand({2}), torch::rand({2}), torch::tensor({3.0f, 4.0f}),
                                              torch::tensor({5.0f, 6.0f}), 1e-5),
            {x});
  ReinitOptions o;
  o.distribution = ReinitDistribution::Default;
  Graph a = g.clone();
  randomize_layer(a, 1, o);
  EXPECT_TRUE(torch::equal(*a.layer(1).find_param("running_mean"), torch::tensor({3.0f, 4.0f})));
  EXPECT_TRUE(torch::equal(*a.layer(1).find_param("weight"), torch::ones({2})));
  o.reset_batchnorm_stats = true;
  Graph b = g.clone();
  randomize_layer(b, 1, o);
  EXPECT_TRUE(torch::equal(*b.layer(1).find_param("running_var"), torch::ones({2})));
}

TEST(Randomization, BlockGroupsByModulePath) {
  Graph g;
  int x = g.add_input({"input", {1, 4, 4}});
  auto conv = [] {
    return std::make_unique<Conv2d>(torch::randn({1, 1, 1, 1}), torch::Tensor(), std::vector<int64_t>{1, 1}, Pads2d{},
                                    std::vector<int64_t>{1, 1}, 1);
  };
  x = g.add("/Mixed_5b/conv/Conv", conv(), {x});
  x = g.add("/Mixed_6a/branch/conv/Conv", conv(), {x});
  x = g.add("/Mixed_6a/other/conv/Conv", conv(), {x});
  auto groups = layer_groups(g, {"Mixed_6a", "Mixed_5b"});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].nodes.size(), 2u);
  EXPECT_EQ(groups[1].nodes.size(), 1u);
  EXPECT_THROW(layer_groups(g, {"Mixed_7c"}), InputError);
}
