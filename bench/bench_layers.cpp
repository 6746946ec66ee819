// Where the engine's time goes: milliseconds per node for the forward sweep (Graph::forward_all) and
// for the backward sweep (backprop of one logit per image), averaged over repeated runs.
//
//   build/bench/bench_layers [--model mnist_cnn | FILE.onnx] [--batch 256] [--runs 20] [--threads 2]
//
// Plain CPU timing (each ATen call returns when its work is done). For finding what to optimize;
// bench_engine and bench_attribution hold the comparisons with PyTorch.
#include <chrono>
#include <cstdio>

#include "core/runtime.h"
#include "models/backprop.h"
#include "models/builtin.h"
#include "models/model_io.h"

using namespace sanity;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string model = "mnist_cnn";
  int64_t batch = 256;
  int runs = 20, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--runs") runs = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  configure_allocator();
  configure_threads(threads);
  const Graph g = model == "mnist_cnn" ? build_cnn(0) : load_onnx(model);
  std::vector<int64_t> shape{batch};
  for (int64_t d : g.input_spec().shape) shape.push_back(d < 0 ? 224 : d);
  torch::manual_seed(1);
  const Tensor x = torch::randn(shape);
  const int top = g.logits();
  std::vector<double> fwd(g.size(), 0.0), bwd(g.size(), 0.0);
  double total = 0;
  for (int r = -1; r < runs; ++r) {  // run -1 warms up
    const auto start = Clock::now();
    Tensors acts(g.size());
    acts[0] = x;
    for (int k = 1; k <= top; ++k) {
      const auto t = Clock::now();
      Tensors in;
      for (int i : g.node(k).inputs) in.push_back(acts[i]);
      acts[k] = g.node(k).layer->forward(in, false);
      if (r >= 0) fwd[k] += ms_since(t);
    }
    const Tensor seed = one_hot_seed(acts[top], torch::arange(batch, torch::kInt64).remainder(acts[top].size(1)));
    BackpropOptions o;
    int previous = -1;
    auto mark = Clock::now();
    o.observe = [&](int node, const Tensor&) {
      if (previous >= 0 && r >= 0) bwd[previous] += ms_since(mark);
      previous = node;
      mark = Clock::now();
    };
    backprop(g, acts, top, seed, o);
    if (r >= 0) total += ms_since(start);
  }
  std::printf("%-28s %-14s %10s %10s\n", "node", "kind", "fwd ms", "bwd ms");
  double f = 0, b = 0;
  for (int k = 1; k <= top; ++k) {
    std::printf("%-28s %-14s %10.3f %10.3f\n", g.node(k).name.c_str(), std::string(kind_name(g.node(k).layer->kind())).c_str(),
                fwd[k] / runs, bwd[k] / runs);
    f += fwd[k] / runs;
    b += bwd[k] / runs;
  }
  std::printf("sum: forward %.2f ms, backward %.2f ms; wall per run %.2f ms (batch %lld, %d threads)\n", f, b,
              total / runs, (long long)batch, threads);
  return 0;
}
