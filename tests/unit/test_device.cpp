// The device-generic pipeline on a second device (host_device.h: "hostgpu", host memory behind
// LibTorch's PrivateUse1 backend, every operator run by LibTorch's CPU fallback): each part runs
// with the device it is given, no operator of it mixes a CPU tensor into the device's, and its values
// are those of the CPU's generic paths bit for bit (the fallback runs the same CPU kernels).
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <filesystem>

#include "check_fixture.h"
#include "core/runtime.h"
#include "host_device.h"
#include "attribution/explain_batch.h"
#include "attribution/registry.h"
#include "metrics/correlation.h"
#include "metrics/hog.h"
#include "metrics/registry.h"
#include "models/builtin.h"
#include "models/adam.h"
#include "models/fingerprint.h"
#include "models/train.h"
#include "results/store.h"
#include "study/check_runner.h"
#include "study/study_config.h"
#include "study/checks/check.h"
#include "study/checks/emprt.h"
#include "test_util.h"

namespace sanity {
namespace {

namespace hd = test::host_device;

// What one part of the pipeline did on the device: no mixed operator, and the copies to the host.
void expect_stayed_on_device(const std::string& part) {
  const auto& mixed = hd::record().mixed;
  EXPECT_TRUE(mixed.empty()) << part << ": " << mixed.size() << " operator(s) mixed devices, first " << *mixed.begin();
  EXPECT_GT(hd::record().ops.load(), 0) << part << " ran nothing on the device";
}

// Runs `f` with the CPU fast paths forced off (the device-generic code on the CPU).
template <class F>
auto generic(F f) {
  force_generic_paths(true);
  auto r = f();
  force_generic_paths(false);
  return r;
}

TEST(Device, HostBackedDeviceRunsTheModel) {
  hd::install();
  hd::record().clear();
  Graph g = build_cnn(0);
  const torch::Tensor x = torch::rand({4, 1, 28, 28});
  const torch::Tensor y_cpu = generic([&] { return g.forward(x); });
  g.to(hd::device());
  const torch::Tensor y = g.forward(x.to(hd::device()));
  EXPECT_EQ(y.device(), hd::device());
  EXPECT_TRUE(torch::equal(y.cpu(), y_cpu));
  expect_stayed_on_device("forward");
}

TEST(Device, EveryCheckAndMetricRunsOnTheGivenDevice) {
  hd::install();
  const test::CheckFixture f = test::make_check_fixture("device_checks", 6, 5);
  CheckConfig c;
  c.model = f.model;
  c.permuted_model = f.permuted;
  c.data.spec = f.images;
  c.data.testbed.count = 6;
  // A method of every family: plain and modified backprop, wrappers, CAM, baselines.
  c.methods = {"gradient", "integrated_gradients(steps=3, baseline=blur)", "guided_backprop", "deconvnet", "guided_gradcam",
               "smoothgrad(gradient, n=3)", "vargrad(gradient, n=3)", "lrp_epsilon_plus_flat", "lrp_alpha2beta1",
               "deep_taylor", "excitation_backprop", "deeplift", "rectgrad", "sobel", "noise"};
  c.checks = {"cascading", "independent", "bottom_up", "data", "smprt(samples=3)", "random_logit", "emprt", "csc(samples=2)",
              "pixel_flipping"};
  EXPECT_EQ(c.checks.size(), CheckRegistry::instance().entries().size()) << "a check was added: list it here";
  c.metrics.clear();
  for (const MetricInfo& m : MetricRegistry::instance().metrics()) c.metrics += (c.metrics.empty() ? "" : ",") + m.name;
  c.progress = false;
  c.batch_size = 4;
  c.out_dir = f.dir + "/cpu";
  generic([&] { return run_checks(c); });
  hd::record().clear();
  c.out_dir = f.dir + "/device";
  c.device = "hostgpu";
  hd::watch();
  run_checks(c);
  hd::stop_watching();
  expect_stayed_on_device("the checks");
  EXPECT_EQ(test::store_rows_text(f.dir + "/device/results.sqlite"),
            test::store_rows_text(f.dir + "/cpu/results.sqlite"));
  // The weights leave the device once per distinct model (its fingerprint; 13 models' worth
  // measured, 445 before fingerprints were remembered), the maps once per batch.
  int64_t model_bytes = 0;
  for (const torch::Tensor& t : build_cnn(0).trainable_parameters()) model_bytes += static_cast<int64_t>(t.nbytes());
  EXPECT_LE(hd::record().to_host_bytes.load(), 40 * model_bytes);
  // Nothing computed on the host: the maps stay on the device until written, and the metrics,
  // faithfulness's ranks, replacements and curves, CSC's histograms and the checks' statistics are
  // tensor code there (kendall's merge sort is the one metric that copies its rows to the host).
  for (const std::string& h : hd::record().host_compute) ADD_FAILURE() << "computed on the host: " << h;
  std::printf("to host: %lld copies, %lld bytes (%.1f models' weights); item(): %lld; host-computing operators: %zu\n",
              (long long)hd::record().to_host.load(), (long long)hd::record().to_host_bytes.load(),
              static_cast<double>(hd::record().to_host_bytes.load()) / static_cast<double>(model_bytes),
              (long long)hd::record().host_reads.load(), hd::record().host_compute.size());
}

// Every method of the registry that needs no training data, on a model on the second device: all of
// its computation there (nothing computed on host tensors), and its maps those of the CPU's generic
// paths bit for bit.
TEST(Device, EveryMethodComputesOnTheModelsDevice) {
  hd::install();
  Graph g = build_cnn(3);
  torch::manual_seed(4);
  const torch::Tensor x = (torch::rand({5, 1, 28, 28}) > 0.6).to(torch::kFloat32);
  const torch::Tensor targets = torch::tensor({0, 3, 5, 7, 9}, torch::kInt64), ids = torch::arange(5);
  ExplainOptions o;
  o.batch_size = 3;
  std::vector<torch::Tensor> on_cpu;
  std::vector<MethodPtr> methods;
  for (const MethodInfo& info : MethodRegistry::instance().methods())
    if (info.name != "pattern_net" && info.name != "pattern_attribution")  // they fit on training data
      methods.push_back(MethodRegistry::instance().make(info.wrapped > 0 ? info.name + "(gradient)" : info.name));
  for (const MethodPtr& m : methods) on_cpu.push_back(generic([&] { return explain_all(*m, g, x, targets, ids, o); }));
  g.to(hd::device());
  for (size_t k = 0; k < methods.size(); ++k) {
    hd::record().clear();
    hd::watch();
    const torch::Tensor maps = explain_all(*methods[k], g, x.to(hd::device()), targets.to(hd::device()), ids, o);
    hd::stop_watching();
    const std::string name = methods[k]->spec().str();
    expect_stayed_on_device(name);
    for (const auto& h : hd::record().host_compute) ADD_FAILURE() << name << " computed on the host: " << h;
    EXPECT_TRUE(torch::equal(maps.cpu(), on_cpu[k])) << name;
  }
}

// The tensor code that the metrics and eMPRT run on other devices gives the CPU loops' values: ranks
// exactly (ties included), skimage's HOG features and the entropies to the last bits of a sum, and so
// every metric's scores.
TEST(Device, MetricsAsTensorCodeGiveTheCpuLoopsValues) {
  torch::manual_seed(11);
  // Maps with ties: values on a coarse grid, a constant map, signed zeros.
  torch::Tensor maps = (torch::rand({6, 1, 28, 28}) * 8).floor() / 8;
  maps[1].fill_(0.25);
  maps[2].masked_fill_(maps[2] == 0, -0.0);
  const torch::Tensor other = maps.flip(0) + 0.1 * (torch::rand({6, 1, 28, 28}) > 0.9);
  const torch::Tensor rows = maps.reshape({6, -1}).to(torch::kFloat64);
  EXPECT_TRUE(torch::equal(generic([&] { return average_ranks(rows); }), average_ranks(rows)));

  for (const HogOptions& o : {HogOptions{9, 9, 3}, HogOptions{8, 4, 2}}) {
    const torch::Tensor fast = hog_features(maps, o), slow = generic([&] { return hog_features(maps, o); });
    EXPECT_LE((fast - slow).abs().max().item<double>(), 1e-12) << "cell " << o.cell;
  }
  for (const torch::Tensor& m : {maps, other}) {
    const torch::Tensor fast = histogram_entropy(m), slow = generic([&] { return histogram_entropy(m); });
    EXPECT_LE((fast - slow).abs().max().item<double>(), 1e-12);
  }
  EXPECT_EQ(generic([&] { return histogram_entropy(maps); })[1].item<double>(), 0.0);  // the constant map
  for (const MetricInfo& info : MetricRegistry::instance().metrics()) {
    const MetricPtr m = MetricRegistry::instance().make(info.name);
    const torch::Tensor fast = m->compare(maps, other), slow = generic([&] { return m->compare(maps, other); });
    EXPECT_TRUE(torch::allclose(fast, slow, 0, 1e-9, /*equal_nan=*/true)) << info.name << fast << slow;
  }
}

// A model's fingerprint is read from the device once per set of weights: asked again, it is served
// without copying them to the host; any write to a weight (in place, or Adam's raw fused step) or a
// new weight tensor gives the fingerprint of the new weights.
TEST(Device, FingerprintsCopyWeightsToTheHostOncePerVersion) {
  hd::install();
  Graph g = build_cnn(2);
  g.to(hd::device());
  hd::record().clear();
  const ContentKey::Digest first = model_fingerprint(g);
  const int64_t copies = hd::record().to_host.load();
  EXPECT_GT(copies, 0);
  EXPECT_TRUE(model_fingerprint(g) == first);
  EXPECT_EQ(hd::record().to_host.load(), copies) << "the weights were copied again";
  Graph same = g.clone();
  EXPECT_TRUE(model_fingerprint(same) == first);
  torch::Tensor w = g.trainable_parameters()[0];
  {
    torch::NoGradGuard no_grad;
    w.add_(1e-3);
  }
  const ContentKey::Digest edited = model_fingerprint(g);
  EXPECT_FALSE(edited == first);
  EXPECT_TRUE(model_fingerprint(g.clone()) == edited);
  // The fused Adam step writes through a raw pointer (on the CPU).
  Graph cpu = build_cnn(2);
  const ContentKey::Digest before = model_fingerprint(cpu);
  Adam adam(cpu.trainable_parameters());
  for (torch::Tensor& p : cpu.trainable_parameters()) p.mutable_grad() = torch::ones_like(p);
  adam.step(1e-2);
  const ContentKey::Digest after = model_fingerprint(cpu);
  EXPECT_FALSE(after == before);
  EXPECT_TRUE(model_fingerprint(cpu.clone()) == after);
}

// A device this machine lacks: one line and exit 2 from every command that takes --device, before
// any work (the arguments are otherwise valid); in a study configuration, one line naming the field.
TEST(Device, AnAbsentDeviceIsOneLineEverywhere) {
  const test::CheckFixture f = test::make_check_fixture("device_absent", 2, 5);
  const std::string model = " --model " + f.model, data = " --data " + f.images + " --count 2";
  const std::vector<std::string> commands{
      "train --model cnn --dataset mnist --out " + f.dir + "/trained",
      "evaluate" + model + data,
      "explain" + model + data + " --methods gradient --out " + f.dir + "/explained",
      "csc" + model + data + " --out " + f.dir + "/csc",
      "faithfulness" + model + data + " --methods gradient --out " + f.dir + "/faithful",
      "check" + model + data + " --methods gradient --out " + f.dir + "/checked",
      "run --out " + f.dir + "/study"};
  const bool cuda = torch::cuda::is_available();
  for (const std::string& device : {"cuda", "cuda:7", "gpu"}) {
    if (cuda && device == std::string("cuda")) continue;
    for (const std::string& c : commands) {
      const test::CommandResult r = test::run_cli(c + " --device " + device);
      EXPECT_EQ(r.exit_code, 2) << c << "\n" << r.output;
      EXPECT_EQ(test::count_lines(r.output), 1) << c << "\n" << r.output;
      EXPECT_NE(r.output.find("--device " + device + ": "), std::string::npos) << r.output;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/study")) << "sanity run wrote before refusing";
  test::expect_input_error([] { parse_study_config({{"device", "gpu"}}, "study.json"); },
                           "study.json: field 'device' (gpu): expected cpu, cuda, cuda:N or auto");
  // auto: the GPU where there is one, else the CPU.
  EXPECT_EQ(parse_device("auto"), cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
}

// A batch that cannot fit in the memory of the model's device is refused before any work, in one line
// naming that memory: the machine's RAM for the CPU (a CUDA device's free memory on a GPU; a device
// whose memory is unknown, as the test device's, is not checked).
TEST(Device, BatchSizeIsCheckedAgainstTheDevicesMemory) {
  EXPECT_EQ(memory_for_batches(torch::kCPU), physical_memory_bytes());
  EXPECT_GT(memory_for_batches(torch::kCPU), 1e9);
  hd::install();
  EXPECT_EQ(memory_for_batches(hd::device()), 0);
  const test::CheckFixture f = test::make_check_fixture("device_batch", 2, 5);
  const test::CommandResult r = test::run_cli("check --model " + f.model + " --data " + f.images +
                                              " --methods gradient --batch-size 100000000 --out " + f.dir + "/checked");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("--batch-size 100000000: a batch would need about "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" GB of this machine's "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("; give --batch-size "), std::string::npos) << r.output;
}

// The CPU fast paths (core/runtime.h) against the generic code they stand in for: the MNIST CNN has
// both (a one-channel first conv: conv_transpose2d; 2x2 max pools: our own loops), with every method
// of the registry that needs no training data. The pools' winners are the same, so maps may differ
// only by the first conv's rounding.
TEST(Device, ForcedGenericPathsGiveTheMapsOfTheFastPaths) {
  const Graph g = build_cnn(3);
  torch::manual_seed(4);
  const torch::Tensor x = (torch::rand({5, 1, 28, 28}) > 0.6).to(torch::kFloat32);
  const torch::Tensor targets = torch::tensor({0, 3, 5, 7, 9}, torch::kInt64), ids = torch::arange(5);
  ExplainOptions o;
  o.batch_size = 3;
  int compared = 0;
  for (const MethodInfo& info : MethodRegistry::instance().methods()) {
    if (info.name == "pattern_net" || info.name == "pattern_attribution") continue;  // they fit on training data
    const MethodPtr m = MethodRegistry::instance().make(info.wrapped > 0 ? info.name + "(gradient)" : info.name);
    const torch::Tensor fast = explain_all(*m, g, x, targets, ids, o);
    const torch::Tensor slow = generic([&] { return explain_all(*m, g, x, targets, ids, o); });
    const double scale = fast.abs().max().item<double>();
    EXPECT_LE((fast - slow).abs().max().item<double>(), 1e-5 * scale + 1e-30) << info.name;
    ++compared;
  }
  EXPECT_GE(compared, 25);
}

// Training with the fast paths (our pools under autograd, the fused Adam step) and without: one
// step gives the same weights but for rounding. Later steps cannot be compared so: Adam's first
// updates are +-lr wherever a gradient is nonzero, so where a gradient is rounding noise, rounding
// decides the sign (measured: 20 steps apart by up to 0.05, of weights up to 0.24). On the second
// device, 20 steps give the CPU generic path's weights bit for bit.
TEST(Device, TrainingRunsOnTheGivenDeviceAndOnBothPaths) {
  hd::install();
  torch::manual_seed(6);
  Dataset d;
  d.images = torch::rand({200, 1, 28, 28});
  d.labels = torch::randint(0, 10, {200}, torch::kInt64);
  const auto trained = [&](torch::Device device, int64_t batch) {
    TrainOptions o;
    o.epochs = 1;
    o.batch_size = batch;
    o.validation = 0;
    o.progress = false;
    Graph g = build_cnn(1);
    g.to(device);
    train_classifier(g, d, o);
    g.to(torch::kCPU);
    std::vector<torch::Tensor> p;
    for (const torch::Tensor& t : g.trainable_parameters()) p.push_back(t.detach().clone());
    return p;
  };
  const auto fast = trained(torch::kCPU, 200);
  const auto slow = generic([&] { return trained(torch::kCPU, 200); });
  ASSERT_EQ(fast.size(), slow.size());
  for (size_t k = 0; k < fast.size(); ++k)
    EXPECT_TRUE(torch::allclose(fast[k], slow[k], 1e-5, 1e-6))
        << "parameter " << k << ": " << (fast[k] - slow[k]).abs().max().item<double>() << " apart";
  const auto twenty = generic([&] { return trained(torch::kCPU, 10); });
  hd::record().clear();
  const auto device = trained(hd::device(), 10);
  expect_stayed_on_device("training");
  for (size_t k = 0; k < fast.size(); ++k) EXPECT_TRUE(torch::equal(device[k], twenty[k])) << "parameter " << k;
}

}  // namespace
}  // namespace sanity
