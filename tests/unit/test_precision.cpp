// --precision (core/precision.h): the names and their refusals, the scope's state, every method's
// maps in bf16 against float32's, training in bf16, and precision as part of a run's identity.
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "attribution/explain_batch.h"
#include "attribution/pattern.h"
#include "check_fixture.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "core/precision.h"
#include "lrp_test_models.h"
#include "metrics/correlation.h"
#include "models/activation_reuse.h"
#include "models/builtin.h"
#include "models/train.h"
#include "models/train_job.h"
#include "study/check_config.h"
#include "study/study_config.h"
#include "test_util.h"

namespace sanity {
namespace {

TEST(Precision, NamesAndRefusals) {
  EXPECT_EQ(parse_precision("float32", torch::kCPU), Precision::kFloat32);
  EXPECT_EQ(to_string(Precision::kBF16), "bf16");
  EXPECT_EQ(to_string(Precision::kTF32), "tf32");
  test::expect_input_error([] { parse_precision("tf32", torch::kCPU); },
                           "--precision tf32: TF32 is a CUDA tensor-core format; on cpu use float32 or bf16");
  test::expect_input_error([] { parse_precision("fp16", torch::kCPU, "study.json: field 'precision'"); },
                           "study.json: field 'precision': expected float32, tf32 or bf16");
  if (cpu_has_bf16())
    EXPECT_EQ(parse_precision("bf16", torch::kCPU), Precision::kBF16);
  else
    test::expect_input_error([] { parse_precision("bf16", torch::kCPU); }, "no bfloat16 arithmetic");
  test::expect_input_error([] { parse_study_config({{"precision", "half"}}, "study.json"); },
                           "study.json: field 'precision': expected float32, tf32 or bf16, got 'half'");
}

// bf16 turns autocast on for the device's type; float32 turns it off, also inside a caller's
// autocast region (a Python user's torch.autocast); each restores what was there, as Float32Region does.
TEST(Precision, ScopeSetsAutocastAndRestoresIt) {
  const auto a = torch::rand({4, 4}), b = torch::rand({4, 4});
  ASSERT_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  const uint32_t plain = arithmetic_key(at::kCPU);
  {
    PrecisionScope bf16(Precision::kBF16, torch::kCPU);
    EXPECT_TRUE(at::autocast::is_autocast_enabled(at::kCPU));
    EXPECT_EQ(a.mm(b).scalar_type(), torch::kBFloat16);
    EXPECT_NE(arithmetic_key(at::kCPU), plain);
    {
      PrecisionScope float32(Precision::kFloat32, torch::kCPU);
      EXPECT_EQ(a.mm(b).scalar_type(), torch::kFloat32);
      EXPECT_EQ(arithmetic_key(at::kCPU), plain);
    }
    EXPECT_EQ(a.mm(b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  EXPECT_EQ(a.mm(b).scalar_type(), torch::kFloat32);
  // A caller's region (the Python module's calls open a Float32Region): off inside, back after.
  at::autocast::set_autocast_enabled(at::kCPU, true);
  {
    Float32Region off;
    EXPECT_EQ(a.mm(b).scalar_type(), torch::kFloat32);
  }
  EXPECT_TRUE(at::autocast::is_autocast_enabled(at::kCPU));
  at::autocast::set_autocast_enabled(at::kCPU, false);
}


// Per image, Spearman's rho between two methods' maps [N, ...]: the lowest and the median.
std::pair<double, double> rho_range(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor rho = spearman_rows(a.flatten(1).to(torch::kFloat64), b.flatten(1).to(torch::kFloat64));
  const torch::Tensor defined = rho.masked_select(rho.isfinite());
  if (defined.numel() == 0) return {1, 1};  // constant maps (the constant baseline): equal, or not
  return {defined.min().item<double>(), defined.median().item<double>()};
}

struct NamedModel {
  std::string name;
  Graph graph;
  torch::Tensor x;
};

std::vector<NamedModel> test_models() {
  torch::manual_seed(11);
  std::vector<NamedModel> out;
  out.push_back({"cnn", build_cnn(3), torch::rand({6, 1, 28, 28})});
  out.push_back({"mlp", build_mlp(3), torch::rand({6, 1, 28, 28})});
  out.push_back({"resnet", test::bias_free_resnet(3), torch::rand({6, 3, 8, 8})});
  out.push_back({"vit", build_vit(3), torch::rand({6, 1, 28, 28})});
  return out;
}

// Every method that needs no training data, on four architectures (convolutions and max pools,
// dense layers, a residual block with average pooling, a ViT's attention, LayerNorm and GELU):
// under bf16 the maps are float32, finite, not float32's (autocast acted) and ordered nearly as
// float32's: the median image's Spearman rho at least 0.9 (measured: 0.955 at the lowest, VarGrad
// on the CNN; printed). Single images can go much further: Deep Taylor's map of one image of the
// random ViT flips sign (rho -0.94), and RectGrad's percentile threshold moves (0.87 on the MLP).
// docs/GPU.md has the trained CNN's numbers.
TEST(Precision, EveryMethodRunsInBf16NearFloat32) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bfloat16 arithmetic (AVX512-BF16 or AMX)";
  ExplainOptions f32, bf16;
  f32.batch_size = bf16.batch_size = 4;
  bf16.precision = Precision::kBF16;
  int compared = 0;
  for (NamedModel& m : test_models()) {
    const torch::Tensor ids = torch::arange(m.x.size(0));
    const torch::Tensor targets = m.graph.forward(m.x).argmax(1);
    for (const MethodInfo& info : MethodRegistry::instance().methods()) {
      if (info.name == "pattern_net" || info.name == "pattern_attribution") continue;  // they fit on data
      const MethodPtr method = MethodRegistry::instance().make(info.wrapped > 0 ? info.name + "(gradient, n=4)" : info.name);
      torch::Tensor reference, low;
      try {
        reference = explain_all(*method, m.graph, m.x, targets, ids, f32);
      } catch (const UnsupportedError&) {
        continue;  // e.g. the transformer rules on a CNN
      }
      low = explain_all(*method, m.graph, m.x, targets, ids, bf16);
      const std::string what = m.name + " " + method->spec().str();
      ASSERT_EQ(low.scalar_type(), torch::kFloat32) << what;
      ASSERT_EQ(low.sizes(), reference.sizes()) << what;
      EXPECT_TRUE(low.isfinite().all().item<bool>()) << what;
      if (method->uses_model()) EXPECT_FALSE(torch::equal(low, reference)) << what << ": bf16 changed nothing";
      const auto [lowest, median] = rho_range(low, reference);
      std::fprintf(stderr, "%-8s %-32s rho min %.4f median %.4f\n", m.name.c_str(), method->spec().str().c_str(), lowest,
                   median);
      EXPECT_GE(median, 0.9) << what;
      ++compared;
    }
  }
  EXPECT_GE(compared, 80);
}


// A pass remembered under one arithmetic never serves another (activation_reuse.h): within one
// ActivationReuse, float32 maps after bf16 ones of the same rows are float32's alone, bit for bit,
// and the other way round.
TEST(Precision, RememberedPassesServeOnlyTheirOwnArithmetic) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bfloat16 arithmetic (AVX512-BF16 or AMX)";
  const Graph g = build_cnn(3);
  torch::manual_seed(5);
  const torch::Tensor x = torch::rand({4, 1, 28, 28}), ids = torch::arange(4);
  const torch::Tensor targets = g.forward(x).argmax(1);
  ExplainOptions f32, bf16;
  bf16.precision = Precision::kBF16;
  const MethodPtr m = MethodRegistry::instance().make("guided_backprop");
  const torch::Tensor f32_alone = explain_all(*m, g, x, targets, ids, f32);
  const torch::Tensor bf16_alone = explain_all(*m, g, x, targets, ids, bf16);
  ActivationReuse reuse(size_t{1} << 30);
  const auto before = ActivationReuse::counts();
  EXPECT_TRUE(torch::equal(explain_all(*m, g, x, targets, ids, bf16), bf16_alone));
  EXPECT_TRUE(torch::equal(explain_all(*m, g, x, targets, ids, f32), f32_alone));
  EXPECT_TRUE(torch::equal(explain_all(*m, g, x, targets, ids, bf16), bf16_alone));
  EXPECT_GT(ActivationReuse::counts().reused, before.reused) << "the second bf16 pass reused nothing";
}

// PatternNet's and PatternAttribution's patterns are a statistic of the data on the model: fitted in
// float32 at every precision, so the caches that keep them (in memory, beside the model) serve every
// precision. Fitted inside a bf16 scope they equal a plain float32 fit bit for bit.
TEST(Precision, PatternsAreFittedInFloat32) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bfloat16 arithmetic (AVX512-BF16 or AMX)";
  const Graph g = build_cnn(9);
  torch::manual_seed(9);
  Dataset fit;
  fit.images = torch::rand({48, 1, 28, 28});
  fit.labels = torch::zeros({48}, torch::kInt64);
  fit.name = "precision-test";
  fit.content = "fit-in-float32";
  PatternFit settings;
  settings.batch_size = 16;
  AttributionContext ctx{g, 16, 0, torch::arange(1)};
  ctx.fit_data = &fit;
  std::shared_ptr<const Patterns> in_bf16;
  {
    PrecisionScope bf16(Precision::kBF16, torch::kCPU);
    in_bf16 = patterns_for(ctx, settings);
  }
  const Patterns reference = fit_patterns(g, fit.images, settings.batch_size, settings.mean_y_all);
  ASSERT_EQ(in_bf16->per_node.size(), reference.per_node.size());
  int fitted = 0;
  for (size_t k = 0; k < reference.per_node.size(); ++k) {
    ASSERT_EQ(in_bf16->per_node[k].defined(), reference.per_node[k].defined()) << k;
    if (!reference.per_node[k].defined()) continue;
    EXPECT_TRUE(torch::equal(in_bf16->per_node[k], reference.per_node[k])) << "node " << k;
    ++fitted;
  }
  EXPECT_GE(fitted, 4);
}

// Training under bf16 autocast: the weights stay float32 and finite, and one full-batch Adam step
// moves them as float32's does (Adam's first step is +-lr wherever the gradient is nonzero, so the
// signs of the two updates are what can be compared), though not identically.
TEST(Precision, TrainingInBf16StepsAsFloat32Does) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bfloat16 arithmetic (AVX512-BF16 or AMX)";
  torch::manual_seed(6);
  Dataset d;
  d.images = torch::rand({128, 1, 28, 28});
  d.labels = torch::randint(0, 10, {128}, torch::kInt64);
  const Graph start = build_cnn(1);
  const auto step = [&](Precision p) {
    TrainOptions o;
    o.epochs = 1;
    o.batch_size = 128;
    o.validation = 0;
    o.progress = false;
    o.precision = p;
    Graph g = build_cnn(1);
    train_classifier(g, d, o);
    return g.trainable_parameters();
  };
  const auto f32 = step(Precision::kFloat32), bf16 = step(Precision::kBF16);
  const auto w0 = start.trainable_parameters();
  ASSERT_EQ(f32.size(), bf16.size());
  int64_t moved = 0, agree = 0;
  bool differ = false;
  for (size_t k = 0; k < f32.size(); ++k) {
    ASSERT_EQ(bf16[k].scalar_type(), torch::kFloat32);
    EXPECT_TRUE(bf16[k].isfinite().all().item<bool>()) << "parameter " << k;
    const torch::Tensor a = (f32[k] - w0[k]).sign(), b = (bf16[k] - w0[k]).sign();
    moved += a.ne(0).sum().item<int64_t>();
    agree += (a.ne(0) & a.eq(b)).sum().item<int64_t>();
    differ = differ || !torch::equal(f32[k], bf16[k]);
  }
  EXPECT_TRUE(differ) << "bf16 changed nothing";
  EXPECT_GT(moved, 100000);
  EXPECT_GE(double(agree) / double(moved), 0.9) << agree << " of " << moved << " updates agree in sign";
  std::fprintf(stderr, "%lld of %lld updates agree in sign\n", (long long)agree, (long long)moved);
}

// Precision changes the values, so it is part of a run's identity and of a trained model's record;
// float32 is left out of both, so that runs and models from before it was an option are reused.
TEST(Precision, IsPartOfTheRunIdentity) {
  CheckConfig c;
  c.methods = {"gradient"};
  const nlohmann::json f32 = c.identity();
  EXPECT_FALSE(f32.contains("precision"));
  c.precision = "bf16";
  EXPECT_EQ(c.identity().value("precision", ""), "bf16");
  TrainJob job;
  EXPECT_FALSE(train_options_json(job).contains("precision"));
  job.precision = "bf16";
  EXPECT_EQ(train_options_json(job).value("precision", ""), "bf16");
}

// `sanity check --precision bf16` into a float32 run's directory is a new run that computes every
// unit; run again, it resumes. tf32 on the CPU, or an unknown name, is one line and exit 2 from
// every command that takes --precision, before any work.
TEST(Precision, CommandsTakeItAndRefuseWhatTheDeviceLacks) {
  const test::CheckFixture f = test::make_check_fixture("precision_cli", 2, 5);
  const std::string model = " --model " + f.model, data = " --data " + f.images + " --count 2";
  const std::vector<std::string> commands{
      "train --model cnn --dataset mnist --out " + f.dir + "/trained",
      "explain" + model + data + " --methods gradient --out " + f.dir + "/explained",
      "faithfulness" + model + data + " --methods gradient --out " + f.dir + "/faithful",
      "check" + model + data + " --methods gradient --out " + f.dir + "/refused",
      "run --out " + f.dir + "/study"};
  for (const std::string& name : {"tf32", "half"}) {
    for (const std::string& c : commands) {
      const test::CommandResult r = test::run_cli(c + " --precision " + name);
      EXPECT_EQ(r.exit_code, 2) << c << "\n" << r.output;
      EXPECT_EQ(test::count_lines(r.output), 1) << c << "\n" << r.output;
      EXPECT_NE(r.output.find("--precision " + name + ": "), std::string::npos) << r.output;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/study")) << "sanity run wrote before refusing";
  if (!cpu_has_bf16()) return;
  const std::string check = "check" + model + data + " --methods gradient --checks cascading --quiet --out " + f.dir + "/checked";
  const test::CommandResult first = test::run_cli(check);
  const test::CommandResult bf16 = test::run_cli(check + " --precision bf16");
  const test::CommandResult again = test::run_cli(check + " --precision bf16");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(bf16.exit_code, 0) << bf16.output;
  EXPECT_NE(bf16.output.find("run 2: "), std::string::npos) << bf16.output;
  EXPECT_NE(bf16.output.find(", 0 already done"), std::string::npos) << bf16.output;
  EXPECT_NE(again.output.find("run 2: 0 units computed"), std::string::npos) << again.output;
}

}  // namespace
}  // namespace sanity
