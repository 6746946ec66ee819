#include "models/builtin.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "models/init.h"
#include "models/layers.h"

namespace sanity {
namespace {

// Draws weight and bias from the given specs and records the specs for "original" re-initialization.
template <class L, class... Args>
std::unique_ptr<L> make_affine(at::IntArrayRef wshape, InitSpec w_init, InitSpec b_init, at::Generator& gen,
                               Args&&... args) {
  const Tensor like_w = at::empty(wshape), like_b = at::empty({wshape[0]});
  int64_t fan_in = 1;
  for (size_t i = 1; i < wshape.size(); ++i) fan_in *= wshape[i];
  auto layer = std::make_unique<L>(draw_init(w_init, like_w, fan_in, gen), draw_init(b_init, like_b, fan_in, gen),
                                   std::forward<Args>(args)...);
  layer->params()[0].init = w_init;
  layer->params()[1].init = b_init;
  return layer;
}

InitSpec truncnorm(double sd) { return {InitSpec::Kind::TruncatedNormal, sd, 0.0}; }
InitSpec constant(double v) { return {InitSpec::Kind::Constant, 0.0, v}; }

}  // namespace

Graph build_cnn(uint64_t seed, int64_t channels, int64_t height, int64_t width, int64_t classes) {
  at::Generator gen = make_generator(derive_seed(seed, "build_cnn"));
  Graph g;
  int x = g.add_input({"input", {channels, height, width}});
  auto conv = [&](int64_t in, int64_t out) {
    return make_affine<Conv2d>({out, in, 5, 5}, truncnorm(0.1), constant(0.1), gen, std::vector<int64_t>{1, 1},
                               Pads2d{2, 2, 2, 2}, std::vector<int64_t>{1, 1}, 1);
  };
  auto pool = [] {
    return std::make_unique<MaxPool2d>(std::vector<int64_t>{2, 2}, std::vector<int64_t>{2, 2}, Pads2d{},
                                       std::vector<int64_t>{1, 1}, false);
  };
  x = g.add("conv1", conv(channels, 32), {x});
  x = g.add("relu1", std::make_unique<ReLU>(), {x});
  x = g.add("pool1", pool(), {x});
  x = g.add("conv2", conv(32, 64), {x});
  x = g.add("relu2", std::make_unique<ReLU>(), {x});
  x = g.add("pool2", pool(), {x});
  x = g.add("flatten", std::make_unique<Flatten>(1), {x});
  const int64_t flat = 64 * (height / 4) * (width / 4);
  x = g.add("fc1", make_affine<Linear>({1024, flat}, truncnorm(0.1), constant(0.1), gen), {x});
  x = g.add("relu3", std::make_unique<ReLU>(), {x});
  x = g.add("fc2", make_affine<Linear>({classes, 1024}, truncnorm(0.1), constant(0.1), gen), {x});
  g.metadata["architecture"] = "cnn";
  return g;
}

Graph build_mlp(uint64_t seed, int64_t channels, int64_t height, int64_t width, int64_t classes) {
  at::Generator gen = make_generator(derive_seed(seed, "build_mlp"));
  Graph g;
  int x = g.add_input({"input", {channels, height, width}});
  x = g.add("flatten", std::make_unique<Flatten>(1), {x});
  const std::vector<int64_t> sizes{channels * height * width, 2500, 1500, 500};
  for (size_t i = 1; i < sizes.size(); ++i) {
    const double sd = 2.0 / std::sqrt(static_cast<double>(sizes[i - 1]));
    x = g.add("hidden" + std::to_string(i), make_affine<Linear>({sizes[i], sizes[i - 1]}, truncnorm(sd), constant(0), gen),
              {x});
    x = g.add("relu" + std::to_string(i), std::make_unique<ReLU>(), {x});
  }
  const double sd = 2.0 / std::sqrt(static_cast<double>(sizes.back()));
  g.add("logits", make_affine<Linear>({classes, sizes.back()}, truncnorm(sd), constant(0), gen), {x});
  g.metadata["architecture"] = "mlp";
  return g;
}

Graph build_builtin(const std::string& name, uint64_t seed, int64_t channels, int64_t height, int64_t width,
                    int64_t classes) {
  if (name == "cnn") return build_cnn(seed, channels, height, width, classes);
  if (name == "mlp") return build_mlp(seed, channels, height, width, classes);
  throw InputError("--model " + name + ": unknown built-in model, expected cnn or mlp (or a .onnx file)");
}

}  // namespace sanity
