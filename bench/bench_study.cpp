// The paper's cascading check at the machine's limit: how many floating-point operations per second
// the passes of a study achieve, against the rate of a large sgemm and of the workload's own dominant
// convolution, both measured in the same process.
//   build/bench/bench_study [images=200] [threads=2] [batch=256: rows per pass, IG steps and noise samples]
// Workload: MNIST CNN (untrained built-in: the cost of a pass does not depend on the
// weights), `images` test images, gradient, SmoothGrad (n=50), Guided Backprop, Guided GradCAM,
// Integrated Gradients (50 steps), cascading randomization (the trained state and 4 layers), Spearman
// of |maps|.
// FLOPs counted: every forward pass is 2 x the multiply-adds of the convolutions and linear layers
// (from the graph, per image), every backward pass to the input as much again. Passes per image and
// model state: gradient 1, SmoothGrad 50, Guided Backprop 1, Guided GradCAM 2 (its Guided Backprop
// and its GradCAM), IG 50, plus 1 forward for the predicted class: the passes the methods must do,
// counted as if each ran on its own. The run shares forward values between them (stages explained
// together with the trained model, models/activation_reuse.h): the node outputs it computed and took
// from an earlier pass are printed too.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include <unistd.h>

#include "core/runtime.h"
#include "models/activation_reuse.h"
#include "models/builtin.h"
#include "models/layer.h"
#include "study/check_runner.h"

using namespace sanity;

namespace {

// Multiply-adds of one image's forward pass: output elements x fan-in, over the affine layers.
double forward_macs(const Graph& g) {
  torch::NoGradGuard no_grad;
  const Tensors acts = g.forward_all(torch::rand({1, 1, 28, 28}));
  double macs = 0;
  for (size_t i = 0; i < g.nodes().size(); ++i)
    if (const auto* a = dynamic_cast<const AffineLayer*>(g.nodes()[i].layer.get()))
      macs += static_cast<double>(acts[i].numel()) * static_cast<double>(a->fan_in());
  return macs;
}

// Best GFLOP/s of `f` over several calls, each doing `flop` operations.
double best_rate(const std::function<void()>& f, double flop) {
  f();  // warm-up
  double best = 0;
  for (int rep = 0; rep < 8; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flop / s / 1e9);
  }
  return best;
}

// The machine's arithmetic limit as the issue defines it: a large float32 matrix product (OpenBLAS),
// the best of 1024^3, 2048^3 and 4096^3.
double sgemm_gflops() {
  double best = 0;
  for (const int64_t n : {1024, 2048, 4096}) {
    const Tensor a = torch::rand({n, n}), b = torch::rand({n, n});
    best = std::max(best, best_rate([&] { (void)torch::mm(a, b); }, 2.0 * n * n * n));
  }
  return best;
}

// The rate of the workload's own dominant kernel: the CNN's conv2 (72 % of its multiply-adds) on a
// batch of 256, forward (LibTorch's convolution, oneDNN here).
double conv_gflops() {
  torch::NoGradGuard no_grad;
  const Tensor x = torch::rand({256, 32, 14, 14}), w = torch::rand({64, 32, 5, 5});
  return best_rate([&] { (void)torch::conv2d(x, w, {}, 1, 2); }, 2.0 * 256 * 64 * 14 * 14 * 32 * 25);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t images = argc > 1 ? std::atoll(argv[1]) : 200;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int64_t batch = argc > 3 ? std::atoll(argv[3]) : CheckConfig{}.batch_size;  // rows per pass
  configure_allocator();  // as the command line does
  torch::set_num_threads(threads);
  const double limit = sgemm_gflops(), conv = conv_gflops();

  CheckConfig c;
  c.model = "cnn";
  c.data.spec = "mnist";
  c.data.testbed.count = images;
  c.methods = {"gradient", "smoothgrad(gradient, n=50)", "guided_backprop", "guided_gradcam",
               "integrated_gradients(steps=50)"};
  c.checks = {"cascading"};
  c.metrics = "spearman_abs";
  c.out_dir = (std::filesystem::temp_directory_path() / ("bench-study-" + std::to_string(::getpid()))).string();
  c.progress = false;
  c.batch_size = batch;
  const ActivationReuse::Counts before = ActivationReuse::counts();
  const CheckSummary s = run_checks(c);
  const ActivationReuse::Counts after = ActivationReuse::counts();
  std::filesystem::remove_all(c.out_dir);

  const double macs = forward_macs(build_cnn(0));
  const int64_t states = 5, passes = 1 + 50 + 1 + 2 + 50;  // gradient, SmoothGrad, GBP, Guided GradCAM, IG
  const double flops = static_cast<double>(images * states) * (passes * 4.0 * macs + 2.0 * macs);
  const double rate = flops / s.seconds / 1e9;
  std::printf("workload: cascading, cnn, %lld images, %lld states, %lld units in %.1f s (batches of %lld)\n",
              (long long)images, (long long)states, (long long)s.units_done, s.seconds, (long long)batch);
  std::printf("forward multiply-adds per image: %.3f M; passes counted: %.3f TFLOP\n", macs / 1e6, flops / 1e12);
  std::printf("node outputs of forward passes: %lld computed, %lld taken from an earlier pass (activation_reuse.h)\n",
              (long long)(after.computed - before.computed), (long long)(after.reused - before.reused));
  std::printf("achieved %.1f GFLOP/s with %d threads; sgemm %.1f GFLOP/s (%.1f %% of it); conv2 forward %.1f GFLOP/s "
              "(%.1f %% of it)\n", rate, threads, limit, 100.0 * rate / limit, conv, 100.0 * rate / conv);
  return 0;
}
