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

namespace {

// One pre-LayerNorm encoder layer: x + attention(ln_1(x)), then + mlp(ln_2(.)), names as torchvision's.
int encoder_layer(Graph& g, int x, const std::string& p, int64_t tokens, int64_t width, int64_t heads, int64_t mlp,
                  at::Generator& gen) {
  const int64_t dh = width / heads;
  auto linear = [&](int64_t out, int64_t in) {
    return make_affine<Linear>({out, in}, truncnorm(std::sqrt(1.0 / static_cast<double>(in))), constant(0), gen);
  };
  auto norm = [&] {
    auto ln = std::make_unique<LayerNorm>(torch::ones({width}), torch::zeros({width}), -1, 1e-6);
    ln->params()[0].init = constant(1);
    ln->params()[1].init = constant(0);
    return ln;
  };
  // [N, T, C] -> [N, heads, T, dh] (keys: [N, heads, dh, T]).
  auto split_heads = [&](int v, const std::string& name, std::vector<int64_t> perm) {
    v = g.add(p + "self_attention." + name + "_heads", std::make_unique<Reshape>(std::vector<int64_t>{0, tokens, heads, dh}, false), {v});
    return g.add(p + "self_attention." + name + "_t", std::make_unique<Transpose>(std::move(perm)), {v});
  };
  const int h = g.add(p + "ln_1", norm(), {x});
  const int q = split_heads(g.add(p + "self_attention.query", linear(width, width), {h}), "query", {0, 2, 1, 3});
  const int k = split_heads(g.add(p + "self_attention.key", linear(width, width), {h}), "key", {0, 2, 3, 1});
  const int v = split_heads(g.add(p + "self_attention.value", linear(width, width), {h}), "value", {0, 2, 1, 3});
  int a = g.add(p + "self_attention.scores", std::make_unique<MatMul>(), {q, k});
  a = g.add(p + "self_attention.scale",
            std::make_unique<ConstArith>(ConstArith::Op::Mul, torch::tensor(1.0f / std::sqrt(static_cast<float>(dh))), false),
            {a});
  a = g.add(p + "self_attention.softmax", std::make_unique<Softmax>(-1), {a});
  a = g.add(p + "self_attention.context", std::make_unique<MatMul>(), {a, v});
  a = g.add(p + "self_attention.merge_t", std::make_unique<Transpose>(std::vector<int64_t>{0, 2, 1, 3}), {a});
  a = g.add(p + "self_attention.merge", std::make_unique<Reshape>(std::vector<int64_t>{0, tokens, width}, false), {a});
  a = g.add(p + "self_attention.out_proj", linear(width, width), {a});
  x = g.add(p + "add_1", std::make_unique<Add>(), {x, a});
  int m = g.add(p + "ln_2", norm(), {x});
  m = g.add(p + "mlp.0", linear(mlp, width), {m});
  m = g.add(p + "mlp.1", std::make_unique<Gelu>(), {m});
  m = g.add(p + "mlp.3", linear(width, mlp), {m});
  return g.add(p + "add_2", std::make_unique<Add>(), {x, m});
}

}  // namespace

Graph build_vit(uint64_t seed, int64_t channels, int64_t height, int64_t width, int64_t classes) {
  constexpr int64_t kPatch = 7, kWidth = 64, kLayers = 4, kHeads = 4, kMlp = 128;
  if (height % kPatch || width % kPatch)
    throw InputError("vit: the image size " + std::to_string(height) + "x" + std::to_string(width) +
                     " is not a multiple of the 7x7 patches");
  at::Generator gen = make_generator(derive_seed(seed, "build_vit"));
  const int64_t patches = (height / kPatch) * (width / kPatch), tokens = patches + 1;
  Graph g;
  int x = g.add_input({"input", {channels, height, width}});
  const double sd = std::sqrt(1.0 / static_cast<double>(channels * kPatch * kPatch));
  x = g.add("conv_proj",
            make_affine<Conv2d>({kWidth, channels, kPatch, kPatch}, truncnorm(sd), constant(0), gen,
                                std::vector<int64_t>{kPatch, kPatch}, Pads2d{}, std::vector<int64_t>{1, 1}, 1),
            {x});
  x = g.add("patches", std::make_unique<Reshape>(std::vector<int64_t>{0, kWidth, patches}, false), {x});
  x = g.add("tokens", std::make_unique<Transpose>(std::vector<int64_t>{0, 2, 1}), {x});
  auto cls = std::make_unique<ParamExpand>("class_token", torch::zeros({1, 1, kWidth}), std::vector<int64_t>{1, 0, 0},
                                           std::vector<int64_t>{0, 1, kWidth});
  cls->params()[0].init = constant(0);
  const int c = g.add("class_token", std::move(cls), {0});
  x = g.add("concat", std::make_unique<Concat>(1), {c, x});
  const InitSpec pos_init = truncnorm(0.02);
  auto pos = std::make_unique<ConstArith>(ConstArith::Op::Add, draw_init(pos_init, at::empty({1, tokens, kWidth}), 1, gen),
                                          false, /*trainable=*/true);
  pos->params()[0].init = pos_init;
  x = g.add("encoder.pos_embedding", std::move(pos), {x});
  for (int64_t l = 0; l < kLayers; ++l)
    x = encoder_layer(g, x, "encoder.layers.encoder_layer_" + std::to_string(l) + ".", tokens, kWidth, kHeads, kMlp, gen);
  auto ln = std::make_unique<LayerNorm>(torch::ones({kWidth}), torch::zeros({kWidth}), -1, 1e-6);
  ln->params()[0].init = constant(1);
  ln->params()[1].init = constant(0);
  x = g.add("encoder.ln", std::move(ln), {x});
  x = g.add("class_token_out", std::make_unique<Gather>(1, torch::tensor(int64_t{0})), {x});
  g.add("heads.head",
        make_affine<Linear>({classes, kWidth}, truncnorm(std::sqrt(1.0 / kWidth)), constant(0), gen), {x});
  g.metadata["architecture"] = "vit";
  return g;
}

Graph build_builtin(const std::string& name, uint64_t seed, int64_t channels, int64_t height, int64_t width,
                    int64_t classes) {
  if (name == "cnn") return build_cnn(seed, channels, height, width, classes);
  if (name == "mlp") return build_mlp(seed, channels, height, width, classes);
  if (name == "vit") return build_vit(seed, channels, height, width, classes);
  throw InputError("--model " + name + ": unknown built-in model, expected cnn, mlp or vit (or a .onnx file)");
}

}  // namespace sanity
