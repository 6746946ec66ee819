// Faithfulness measures: images per second for pixel flipping (9x9 regions: 2 x 17 forwards per
// image) and insertion/deletion (28 pixels per step: 2 x 29 forwards) on the MNIST CNN.
//   build/bench/bench_faithfulness [--benchmark_filter=pixel_flipping]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "faithfulness/faithfulness.h"
#include "models/builtin.h"

namespace {

void run(benchmark::State& state, bool pixel_flipping) {
  torch::manual_seed(0);
  const sanity::Graph g = sanity::build_cnn(0);
  const int64_t n = 16;
  const torch::Tensor x = torch::rand({n, 1, 28, 28}), maps = torch::randn({n, 1, 28, 28});
  const torch::Tensor targets = torch::zeros({n}, torch::kInt64), ids = torch::arange(n);
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    if (pixel_flipping)
      benchmark::DoNotOptimize(sanity::pixel_flipping(g, x, maps, targets, ids, {}, batch, 0));
    else
      benchmark::DoNotOptimize(sanity::insertion_deletion(g, x, maps, targets, ids, {}, batch, 0));
  }
  state.SetItemsProcessed(state.iterations() * n);  // images per second
}

}  // namespace

BENCHMARK_CAPTURE(run, pixel_flipping, true)->Arg(1)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(run, insertion_deletion, false)->Arg(1)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
