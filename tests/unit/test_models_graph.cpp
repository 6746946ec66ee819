// The layer graph: the backward sweep equals LibTorch autograd, export/import round trips, cloning,
// forward values shared between passes.
#include <torch/torch.h>

#include <limits>

#include "core/error.h"
#include "models/activation_reuse.h"
#include "models/backprop.h"
#include "models/builtin.h"
#include "models/layers.h"
#include "models/model_io.h"
#include "models/pool2x2.h"
#include "test_util.h"

using namespace sanity;

namespace {

Tensor autograd_input_gradient(const Graph& g, const Tensor& x, const Tensor& classes) {
  Tensor xi = x.clone().requires_grad_(true);
  Tensor logits = g.forward(xi);
  Tensor sel = logits.gather(1, classes.view({-1, 1})).sum();
  return torch::autograd::grad({sel}, {xi})[0];
}

Tensor sweep_input_gradient(const Graph& g, const Tensor& x, const Tensor& classes) {
  Tensors acts = g.forward_all(x);
  return backprop(g, acts, g.logits(), one_hot_seed(acts[g.logits()], classes));
}

}  // namespace

TEST(Graph, BackwardSweepEqualsAutogradOnCnnAndMlp) {
  for (const char* arch : {"cnn", "mlp", "vit"}) {
    Graph g = build_builtin(arch, 3);
    torch::manual_seed(0);
    Tensor x = torch::rand({5, 1, 28, 28});
    Tensor classes = torch::tensor({0, 3, 9, 1, 7}, torch::kInt64);
    Tensor a = autograd_input_gradient(g, x, classes), b = sweep_input_gradient(g, x, classes);
    EXPECT_LT(test::max_rel_error(b, a), 1e-5) << arch;
  }
}

TEST(Graph, BackwardSweepEqualsAutogradOnEveryLayerKind) {
  // A small graph with asymmetric padding, strides, average pooling, batchnorm, concat, add, clip,
  // global pooling: each hand-written backward must match autograd.
  torch::manual_seed(1);
  Graph g;
  int x = g.add_input({"input", {3, 13, 11}});
  auto conv = [](int64_t in, int64_t out, int64_t k, int64_t s, Pads2d p) {
    return std::make_unique<Conv2d>(torch::randn({out, in, k, k}) * 0.3, torch::randn({out}) * 0.1,
                                    std::vector<int64_t>{s, s}, p, std::vector<int64_t>{1, 1}, 1);
  };
  int a = g.add("c1", conv(3, 4, 3, 2, Pads2d{0, 1, 1, 0}), {x});
  a = g.add("bn", std::make_unique<BatchNorm>(torch::rand({4}) + 0.5, torch::randn({4}), torch::randn({4}),
                                              torch::rand({4}) + 0.5, 1e-5),
            {a});
  a = g.add("r1", std::make_unique<ReLU>(), {a});
  int b = g.add("c2", conv(4, 4, 3, 1, Pads2d{1, 1, 1, 1}), {a});
  b = g.add("clip", std::make_unique<Clip>(0.0, 1.5), {b});
  int s = g.add("sum", std::make_unique<Add>(), {a, b});
  int cat = g.add("cat", std::make_unique<Concat>(1), {s, a});
  int p = g.add("avg", std::make_unique<AvgPool2d>(std::vector<int64_t>{3, 3}, std::vector<int64_t>{2, 2},
                                                   Pads2d{1, 1, 1, 1}, true, false),
                {cat});
  int m = g.add("max", std::make_unique<MaxPool2d>(std::vector<int64_t>{2, 2}, std::vector<int64_t>{1, 1}, Pads2d{},
                                                   std::vector<int64_t>{1, 1}, false),
                {p});
  int gp = g.add("gap", std::make_unique<GlobalAvgPool>(), {m});
  int f = g.add("flat", std::make_unique<Flatten>(1), {gp});
  g.add("fc", std::make_unique<Linear>(torch::randn({5, 8}), torch::randn({5})), {f});
  Tensor in = torch::randn({4, 3, 13, 11});
  Tensor classes = torch::tensor({0, 1, 2, 4}, torch::kInt64);
  EXPECT_LT(test::max_rel_error(sweep_input_gradient(g, in, classes), autograd_input_gradient(g, in, classes)), 1e-5);
}

TEST(Graph, TransformerLayerVjpsEqualAutograd) {
  // Each hand-written VJP of layers_transformer.h (and the two-input arithmetic) against the generic one,
  // LibTorch autograd through the layer's forward (Layer::backward).
  torch::manual_seed(2);
  const Tensor a = torch::randn({2, 3, 4, 5}), b = torch::rand({2, 3, 4, 5}) + 0.5, row = torch::randn({1, 1, 1, 5});
  struct Case {
    std::string name;
    std::shared_ptr<Layer> layer;
    Tensors in;
  };
  const std::vector<Case> cases{
      {"sub", std::make_shared<Sub>(), {a, row}},
      {"div", std::make_shared<Div>(), {a, b}},
      {"mul", std::make_shared<Mul>(), {a, row}},
      {"matmul", std::make_shared<MatMul>(), {a, torch::randn({3, 5, 6})}},
      {"slice", std::make_shared<Slice>(std::vector<int64_t>{1, -4}, std::vector<int64_t>{INT64_MAX, 4},
                                        std::vector<int64_t>{1, 3}, std::vector<int64_t>{1, 2}),
       {a}},
      {"slice reversed", std::make_shared<Slice>(std::vector<int64_t>{-1}, std::vector<int64_t>{INT64_MIN},
                                                 std::vector<int64_t>{2}, std::vector<int64_t>{-1}),
       {a}},
      {"gather", std::make_shared<Gather>(2, torch::tensor({3, 0, -1, 3})), {a}},
      {"gather scalar", std::make_shared<Gather>(1, torch::tensor(int64_t{1})), {a}},
      {"expand", std::make_shared<Expand>(std::vector<int64_t>{3, 1, 4, 5}), {torch::randn({3, 1, 1, 5})}},
      {"layernorm", std::make_shared<LayerNorm>(torch::rand({4, 5}) + 0.5, torch::randn({4, 5}), -2, 1e-5), {a}},
      {"gelu", std::make_shared<Gelu>(), {a}},
      {"erf", std::make_shared<Erf>(), {a}},
      {"sqrt", std::make_shared<Sqrt>(), {b}},
      {"hard sigmoid", std::make_shared<HardSigmoid>(1.0 / 6, 0.5), {a * 4}},
      {"hard swish", std::make_shared<HardSwish>(), {a * 4}},
      {"softmax", std::make_shared<Softmax>(-2), {a}},
      {"transpose", std::make_shared<Transpose>(std::vector<int64_t>{2, 0, 3, 1}), {a}},
      {"pow", std::make_shared<ConstArith>(ConstArith::Op::Pow, torch::tensor(3.0f), false), {a}},
      {"c / x", std::make_shared<ConstArith>(ConstArith::Op::Div, torch::randn({5}), true), {b}},
      {"c - x", std::make_shared<ConstArith>(ConstArith::Op::Sub, torch::randn({1, 3, 1, 1}), true), {a}},
  };
  for (const auto& c : cases) {
    torch::NoGradGuard no_grad;
    const Tensor out = c.layer->forward(c.in, false);
    const Tensor g = torch::randn_like(out);
    const Tensors ours = c.layer->backward(c.in, out, g), generic = c.layer->Layer::backward(c.in, out, g);
    ASSERT_EQ(ours.size(), generic.size()) << c.name;
    for (size_t i = 0; i < ours.size(); ++i) {
      ASSERT_EQ(ours[i].sizes(), c.in[i].sizes()) << c.name << " input " << i;
      EXPECT_LT(test::max_rel_error(ours[i], generic[i]), 1e-5) << c.name << " input " << i;
    }
  }
}

TEST(Graph, MaxPoolBackwardUsesForwardIndicesOnlyForTheSameUnchangedInput) {
  // The forward pass remembers its argmax indices for the backward sweep (pool_memo.h) and pools in
  // channels-last order on CPU. Half the inputs are ReLU zeros, so windows tie: the winner must be
  // the one autograd's NCHW kernel picks. After an in-place change of the input the remembered
  // indices are stale and must not be used.
  torch::manual_seed(3);
  for (const Pads2d pads : {Pads2d{}, Pads2d{0, 1, 1, 0}}) {
    const MaxPool2d pool({3, 3}, {2, 2}, pads, {1, 1}, false);
    auto autograd_backward = [&](const Tensor& x, const Tensor& g) {
      Tensor xi = x.clone().requires_grad_(true);
      Tensor y = pool.forward({xi}, false);
      return torch::autograd::grad({y}, {xi}, {g})[0];
    };
    Tensor x = torch::relu(torch::randn({4, 8, 12, 12}));
    const Tensor y = pool.forward({x}, false);
    const Tensor g = torch::randn_like(y);
    EXPECT_TRUE(torch::equal(y, pool.forward({x.clone().requires_grad_(true)}, false).detach()));
    EXPECT_TRUE(torch::equal(pool.backward({x}, y, g)[0], autograd_backward(x, g)));
    x.mul_(-1).add_(0.5);  // other winners: the remembered indices no longer hold
    EXPECT_TRUE(torch::equal(pool.backward({x}, y, g)[0], autograd_backward(x, g)));
    const auto copy = pool.clone();  // starts with nothing remembered
    EXPECT_TRUE(torch::equal(copy->backward({x}, y, g)[0], autograd_backward(x, g)));
  }
  {  // tensors made under InferenceMode have no version counter: nothing is remembered, still exact
    c10::InferenceMode inference;
    const MaxPool2d pool({2, 2}, {2, 2}, Pads2d{}, {1, 1}, false);
    const Tensor x = torch::relu(torch::randn({2, 4, 8, 8}));
    const Tensor y = pool.forward({x}, false);
    const Tensor g = torch::randn_like(y);
    const Tensor idx = std::get<1>(at::max_pool2d_with_indices(x, {2, 2}, {2, 2}, {0, 0}, {1, 1}, false));
    EXPECT_TRUE(torch::equal(pool.backward({x}, y, g)[0],
                             at::max_pool2d_with_indices_backward(g, x, {2, 2}, {2, 2}, {0, 0}, {1, 1}, false, idx)));
  }
}

// pool2x2.h's kernels against LibTorch's, bit for bit: values from {-1, 0, 1, 2} (most windows tie),
// NaNs (some windows hold two) and -inf; odd sizes (the last row and column left out), rows of fewer
// than four windows (scalar path) and of 7 and 14 (the SSE2 path's overlapping last four); gradients
// with -0 (LibTorch returns +0); and through autograd, as training pools.
TEST(Graph, MaxPool2x2KernelsAreLibTorchsBitForBit) {
  torch::manual_seed(5);
  const auto bits = [](const Tensor& t) { return t.contiguous().view(torch::kInt32); };
  for (const std::vector<int64_t> shape :
       {std::vector<int64_t>{3, 5, 28, 28}, {2, 4, 14, 14}, {2, 3, 9, 11}, {2, 2, 5, 6}}) {
    Tensor x = torch::randint(-1, 3, shape).to(torch::kFloat32);
    x.masked_fill_(torch::rand(shape) < 0.05, std::numeric_limits<float>::quiet_NaN());
    x.masked_fill_(torch::rand(shape) < 0.05, -std::numeric_limits<float>::infinity());
    ASSERT_TRUE(is_pool2x2(x, {2, 2}, {2, 2}, {1, 1}, false));
    const auto [y, winner] = maxpool2x2(x);
    const auto [y_ref, idx_ref] = at::max_pool2d_with_indices(x, {2, 2}, {2, 2}, {0, 0}, {1, 1}, false);
    EXPECT_TRUE(torch::equal(bits(y), bits(y_ref))) << c10::IntArrayRef(shape);
    const int64_t oh = y.size(2), ow = y.size(3), w = x.size(3);
    const Tensor k = winner.to(torch::kInt64);
    const Tensor rows = torch::arange(oh).view({oh, 1}) * 2 + k.div(2, "floor");
    const Tensor cols = torch::arange(ow).view({1, ow}) * 2 + k.remainder(2);
    EXPECT_TRUE(torch::equal(rows * w + cols, idx_ref)) << c10::IntArrayRef(shape);
    Tensor g = torch::randn(y.sizes());
    g.masked_fill_(torch::rand(y.sizes()) < 0.1, -0.0);
    const Tensor gx = maxpool2x2_backward(g, winner, x.sizes());
    const Tensor gx_ref = at::max_pool2d_with_indices_backward(g, x, {2, 2}, {2, 2}, {0, 0}, {1, 1}, false, idx_ref);
    EXPECT_TRUE(torch::equal(bits(gx), bits(gx_ref))) << c10::IntArrayRef(shape);
    const Tensor xi = x.clone().requires_grad_(true);  // training's path: the same through autograd
    const Tensor yi = maxpool2x2_autograd(xi);
    EXPECT_TRUE(torch::equal(bits(yi.detach()), bits(y_ref))) << c10::IntArrayRef(shape);
    EXPECT_TRUE(torch::equal(bits(torch::autograd::grad({yi}, {xi}, {g})[0]), bits(gx_ref))) << c10::IntArrayRef(shape);
  }
}

TEST(Graph, ObserverSeesEveryNodeOnThePath) {
  Graph g = build_cnn(0);
  Tensors acts = g.forward_all(torch::rand({2, 1, 28, 28}));
  std::vector<int> seen;
  BackpropOptions o;
  o.observe = [&](int k, const Tensor& s) {
    seen.push_back(k);
    EXPECT_EQ(s.sizes(), acts[k].sizes()) << g.node(k).name;
  };
  backprop(g, acts, g.logits(), one_hot_seed(acts[g.logits()], torch::tensor({1, 2})), o);
  EXPECT_EQ(static_cast<int>(seen.size()), g.size());
  EXPECT_EQ(seen.front(), g.logits());
  EXPECT_EQ(seen.back(), 0);
}

TEST(Graph, ExportThenImportGivesIdenticalLogits) {
  const std::string dir = test::temp_dir("roundtrip");
  for (const char* arch : {"cnn", "mlp", "vit"}) {
    Graph g = build_builtin(arch, 7);
    g.metadata["dataset"] = "mnist";
    save_onnx(g, dir + "/" + arch + ".onnx");
    Graph h = load_onnx(dir + "/" + arch + ".onnx");
    Tensor x = torch::rand({8, 1, 28, 28});
    EXPECT_TRUE(torch::equal(g.forward(x), h.forward(x))) << arch;
    EXPECT_EQ(h.metadata.at("dataset"), "mnist");
    // Same randomization order and names survive the round trip.
    std::vector<std::string> a, b;
    for (int k : g.layers_top_down()) a.push_back(g.node(k).name);
    for (int k : h.layers_top_down()) b.push_back(h.node(k).name);
    EXPECT_EQ(a, b);
  }
}

TEST(Graph, CloneIsDeep) {
  Graph g = build_cnn(0);
  Graph h = g.clone();
  h.layer(h.find("fc2")).params()[0].value.zero_();
  EXPECT_GT(g.layer(g.find("fc2")).params()[0].value.abs().sum().item<double>(), 0.0);
}

// A pass reuses exactly the lowest nodes an earlier pass of equal rows computed on the same layer
// objects with unchanged parameters, and nothing that was edited in place since, nor anything outside
// an ActivationReuse.
TEST(Graph, ActivationReuseServesOnlyUneditedValuesOfTheSameLayers) {
  torch::manual_seed(0);
  const Graph trained = build_cnn(3);
  const int fc2 = trained.find("fc2"), conv2 = trained.find("conv2");
  const Tensor x = torch::rand({6, 1, 28, 28});
  const Tensors plain = trained.forward_all(x);
  const auto reused_by = [](const Graph& g, const Tensor& input) {
    const int64_t before = ActivationReuse::counts().reused;
    const Tensors v = g.forward_all(input);
    return std::make_pair(ActivationReuse::counts().reused - before, v);
  };
  // Without a scope nothing is remembered.
  EXPECT_EQ(reused_by(trained, x.clone()).first, 0);

  ActivationReuse scope(size_t{1} << 30);
  ASSERT_EQ(reused_by(trained, x).first, 0);  // remembered
  // The same rows in another tensor, on a graph that shares every layer: the whole pass.
  const Graph same = trained.share();
  auto [n, v] = reused_by(same, x.clone());
  EXPECT_EQ(n, trained.size() - 1);
  for (size_t k = 1; k < plain.size(); ++k) EXPECT_TRUE(torch::equal(v[k], plain[k])) << k;
  // A new fc2: everything below it, and fc2 itself computed with the new weights.
  std::map<int, std::shared_ptr<Layer>> fresh{{fc2, std::shared_ptr<Layer>(trained.node(fc2).layer->clone())}};
  fresh[fc2]->params()[0].value.mul_(2);
  const Graph top = trained.share(fresh);
  std::tie(n, v) = reused_by(top, x.clone());
  EXPECT_EQ(n, fc2 - 1);
  EXPECT_TRUE(torch::equal(v[static_cast<size_t>(fc2)], top.clone().forward_all(x)[static_cast<size_t>(fc2)]));
  // Other rows: nothing.
  Tensor other = x.clone();
  other[5][0][27][27] += 1;
  EXPECT_EQ(reused_by(same, other).first, 0);
  // A value edited in place is not served, nor anything above it: conv2's output recomputed.
  const Graph again = trained.share();
  Tensors edited = again.forward_all(x);  // served from the first pass: the remembered tensors
  edited[static_cast<size_t>(conv2)].add_(1);
  std::tie(n, v) = reused_by(again, x.clone());
  EXPECT_EQ(n, conv2 - 1);
  EXPECT_TRUE(torch::equal(v[static_cast<size_t>(conv2)], plain[static_cast<size_t>(conv2)]));
  EXPECT_TRUE(torch::equal(v.back(), plain.back()));
  // A parameter edited in place (the layer object is the same): not served from that layer up.
  const Graph shared = trained.share();
  (void)shared.forward_all(x);
  shared.node(conv2).layer->params()[0].value.mul_(-1);
  std::tie(n, v) = reused_by(shared, x.clone());
  EXPECT_EQ(n, conv2 - 1);
  EXPECT_FALSE(torch::equal(v[static_cast<size_t>(conv2)], plain[static_cast<size_t>(conv2)]));
  shared.node(conv2).layer->params()[0].value.mul_(-1);  // trained's own layer: put it back
}

TEST(Graph, TopDownOrderIsThePapersOrder) {
  Graph cnn = build_cnn(0), mlp = build_mlp(0);
  std::vector<std::string> c, m;
  for (int k : cnn.layers_top_down()) c.push_back(cnn.node(k).name);
  for (int k : mlp.layers_top_down()) m.push_back(mlp.node(k).name);
  EXPECT_EQ(c, (std::vector<std::string>{"fc2", "fc1", "conv2", "conv1"}));
  EXPECT_EQ(m, (std::vector<std::string>{"logits", "hidden3", "hidden2", "hidden1"}));
}

TEST(Graph, WrongInputShapeIsAClearError) {
  Graph g = build_cnn(0);
  try {
    g.check_input(torch::rand({2, 3, 28, 28}), "images.npy");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("images.npy"), std::string::npos) << m;
    EXPECT_NE(m.find("[2, 3, 28, 28]"), std::string::npos) << m;
    EXPECT_NE(m.find("[N, 1, 28, 28]"), std::string::npos) << m;
  }
}
