// Attributions per second of every modified-backprop method on the MNIST CNN (batch 200) and on
// ResNet-50 from ONNX (batch 16), CPU. Usage:
//   bench_modified_backprop [--resnet PATH.onnx] [--cnn PATH.onnx] [--threads N] [--skip-resnet]
// Pattern methods are timed after their patterns are fitted (on a few random images, not timed).
// The first row, the plain gradient through the same sweep, is the floor the rules add to.
#include <chrono>
#include <cstdio>
#include <cstring>

#include "attribution/backprop_method.h"
#include "attribution/registry.h"
#include "core/runtime.h"
#include "models/builtin.h"
#include "models/model_io.h"

using namespace sanity;

namespace {

const char* kMethods[] = {"lrp_z",           "lrp_epsilon",     "lrp_zplus",   "lrp_epsilon_plus_flat",
                          "lrp_epsilon_gamma_box", "lrp_alpha1beta0", "lrp_alpha2beta1", "deep_taylor",
                          "excitation_backprop", "deeplift", "rectgrad", "pattern_net", "pattern_attribution"};

void run(const std::string& title, const Graph& g, const Tensor& x, const Tensor& fit_images) {
  Dataset fit{title + "/fit", fit_images, torch::zeros({fit_images.size(0)}, torch::kInt64), {}};
  AttributionContext ctx{g, x.size(0)};
  ctx.fit_data = &fit;
  const Tensor targets = g.forward(x).argmax(1);
  std::printf("\n%s, batch %lld, %d threads\n| method | attributions/s | s per batch |\n|---|---:|---:|\n", title.c_str(),
              (long long)x.size(0), torch::get_num_threads());
  std::vector<MethodPtr> methods{make_gradient_sweep()};  // the plain gradient sweep: the cost floor
  for (const char* name : kMethods) methods.push_back(MethodRegistry::instance().make(name));
  for (const MethodPtr& m : methods) {
    m->attribute(ctx, x.narrow(0, 0, 1), targets.narrow(0, 0, 1));  // warm-up (and pattern fitting)
    const auto t0 = std::chrono::steady_clock::now();
    m->attribute(ctx, x, targets);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("| %s | %.1f | %.2f |\n", m->spec().str().c_str(), x.size(0) / s, s);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string resnet = SANITY_SOURCE_DIR "/build/refs/resnet50.onnx", cnn;
  int threads = 0;
  bool skip_resnet = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--resnet") && i + 1 < argc) resnet = argv[++i];
    else if (!std::strcmp(argv[i], "--cnn") && i + 1 < argc) cnn = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--skip-resnet")) skip_resnet = true;
  }
  configure_allocator();
  configure_threads(threads);
  torch::manual_seed(0);
  {
    Graph g = cnn.empty() ? build_cnn(0) : load_onnx(cnn);
    run("MNIST CNN (" + (cnn.empty() ? std::string("untrained") : cnn) + ")", g, torch::rand({200, 1, 28, 28}),
        torch::rand({64, 1, 28, 28}));
  }
  if (!skip_resnet) {
    Graph g = load_onnx(resnet);
    run("ResNet-50 (random weights)", g, torch::randn({16, 3, 224, 224}), torch::randn({4, 3, 224, 224}));
  }
  return 0;
}
