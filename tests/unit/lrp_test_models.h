#pragma once
// Small hand-built models for the modified-backprop tests.
#include "models/builtin.h"
#include "models/layers.h"

namespace sanity::test {

inline std::unique_ptr<Conv2d> conv(int64_t in, int64_t out, int64_t k, bool bias = true, double scale = 0.3) {
  const int64_t p = k / 2;
  return std::make_unique<Conv2d>(torch::randn({out, in, k, k}) * scale, bias ? torch::randn({out}) * 0.1 : Tensor(),
                                  std::vector<int64_t>{1, 1}, Pads2d{p, p, p, p}, std::vector<int64_t>{1, 1}, 1);
}

inline std::unique_ptr<Linear> linear(int64_t in, int64_t out, bool bias = true, double scale = 0.3) {
  return std::make_unique<Linear>(torch::randn({out, in}) * scale, bias ? torch::randn({out}) * 0.1 : Tensor());
}

// The papers' MNIST CNN with every bias set to zero (a positively homogeneous ReLU network).
inline Graph bias_free_cnn(uint64_t seed) {
  Graph g = build_cnn(seed);
  for (int k = 0; k < g.size(); ++k)
    if (Tensor* b = g.layer(k).find_param("bias")) b->zero_();
  return g;
}

// A bias-free residual ReLU network: conv -> relu -> [conv -> relu] + skip -> avgpool -> flatten -> linear.
inline Graph bias_free_resnet(uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  Graph g;
  int x = g.add_input({"input", {3, 8, 8}});
  int a = g.add("relu1", std::make_unique<ReLU>(), {g.add("conv1", conv(3, 6, 3, false), {x})});
  int b = g.add("relu2", std::make_unique<ReLU>(), {g.add("conv2", conv(6, 6, 3, false), {a})});
  int s = g.add("sum", std::make_unique<Add>(), {a, b});
  int c = g.add("relu3", std::make_unique<ReLU>(), {g.add("conv3", conv(6, 6, 3, false), {s})});
  int s2 = g.add("sum2", std::make_unique<Add>(), {s, c});
  int p = g.add("pool", std::make_unique<AvgPool2d>(std::vector<int64_t>{2, 2}, std::vector<int64_t>{2, 2}, Pads2d{},
                                                    false, true),
                {s2});
  g.add("fc", linear(6 * 4 * 4, 5, false), {g.add("flat", std::make_unique<Flatten>(1), {p})});
  return g;
}

}  // namespace sanity::test
