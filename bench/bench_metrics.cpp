// Similarity metrics: time per batch for MNIST-sized (1x28x28) and ImageNet-sized (3x224x224) maps.
//   build/bench/bench_metrics [--benchmark_filter=ssim]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "core/build_info.h"
#include "metrics/registry.h"

namespace {

void run(benchmark::State& state, const std::string& spec, std::vector<int64_t> shape) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  torch::Tensor a = torch::randn(shape), b = a + torch::randn(shape);
  sanity::MetricPtr m = sanity::MetricRegistry::instance().make(spec);
  for (auto _ : state) benchmark::DoNotOptimize(m->compare(a, b));
  state.SetItemsProcessed(state.iterations() * shape[0]);  // images per second
}

void register_all() {
  for (const char* spec : {"spearman_abs", "spearman", "pearson", "cosine", "mse", "ssim", "hog", "hog(impl=opencv)",
                           "topk_intersection"}) {
    if (std::string(spec) == "hog(impl=opencv)" && !sanity::sanity_built_with_opencv()) continue;  // lean build
    benchmark::RegisterBenchmark((std::string(spec) + "/mnist_64x1x28x28").c_str(), run, spec,
                                 std::vector<int64_t>{64, 1, 28, 28})->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string(spec) + "/imagenet_8x3x224x224").c_str(), run, spec,
                                 std::vector<int64_t>{8, 3, 224, 224})->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
