// The layers of the models users bring (layers_user_models.h) against PyTorch's own functions: each
// forward equals F.instance_norm / F.group_norm, F.interpolate and torch::where, and each hand-written
// VJP equals autograd through those functions. And a graph of all of them survives export and import.
#include <torch/torch.h>

#include "core/error.h"
#include "models/layers.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;
namespace F = torch::nn::functional;

namespace {

// Our layer's forward and input gradient against a PyTorch reference function of the same input.
void expect_matches(const Layer& layer, const Tensor& x, const std::function<Tensor(const Tensor&)>& reference,
                    const std::string& what) {
  Tensor xi = x.clone().requires_grad_(true);
  const Tensor ref = reference(xi);
  const Tensor g = torch::randn_like(ref);
  const Tensor ref_grad = torch::autograd::grad({ref}, {xi}, {g})[0];
  torch::NoGradGuard no_grad;
  const Tensor out = layer.forward({x}, false);
  ASSERT_EQ(out.sizes(), ref.sizes()) << what;
  EXPECT_LT(test::max_rel_error(out, ref.detach()), 1e-6) << what;
  EXPECT_LT(test::max_rel_error(layer.backward({x}, out, g).at(0), ref_grad), 1e-6) << what;
}

F::InterpolateFuncOptions nearest() { return F::InterpolateFuncOptions().mode(torch::kNearest); }
F::InterpolateFuncOptions nearest_exact() { return F::InterpolateFuncOptions().mode(torch::kNearestExact); }
F::InterpolateFuncOptions bilinear() { return F::InterpolateFuncOptions().mode(torch::kBilinear); }

Resize resize_layer(Resize::Mode mode, const std::string& coords, const std::string& nearest,
                    std::vector<Resize::Axis> axes) {
  return Resize(mode, coords, nearest, std::move(axes));
}

}  // namespace

TEST(UserModelLayers, InstanceNormIsPyTorchsInstanceNorm) {
  torch::manual_seed(11);
  const Tensor x = torch::randn({3, 4, 5, 6}) * 2 + 1, scale = torch::rand({4}) + 0.5, bias = torch::randn({4});
  expect_matches(InstanceNorm(scale, bias, 1e-5, true), x,
                 [&](const Tensor& t) {
                   return F::instance_norm(t, F::InstanceNormFuncOptions().weight(scale).bias(bias).eps(1e-5));
                 },
                 "instance norm");
}

TEST(UserModelLayers, GroupNormAsExportedIsPyTorchsGroupNorm) {
  // PyTorch exports GroupNorm(2, 8) as Reshape [N, 2, -1], InstanceNormalization with unit scale and
  // zero bias, Reshape back, then the per-channel weight and bias: the composition is F.group_norm.
  torch::manual_seed(12);
  const Tensor x = torch::randn({3, 8, 5, 4}), w = torch::rand({8}) + 0.5, b = torch::randn({8});
  const InstanceNorm norm(torch::ones({2}), torch::zeros({2}), 1e-5, false);
  Tensor xi = x.clone().requires_grad_(true);
  const Tensor ref = F::group_norm(xi, F::GroupNormFuncOptions(2).weight(w).bias(b).eps(1e-5));
  const Tensor g = torch::randn_like(ref);
  const Tensor ref_grad = torch::autograd::grad({ref}, {xi}, {g})[0];
  torch::NoGradGuard no_grad;
  const Tensor grouped = x.reshape({3, 2, -1});
  const Tensor out = norm.forward({grouped}, false).reshape(x.sizes()) * w.view({-1, 1, 1}) + b.view({-1, 1, 1});
  EXPECT_LT(test::max_rel_error(out, ref.detach()), 1e-6);
  const Tensor back = norm.backward({grouped}, Tensor(), (g * w.view({-1, 1, 1})).reshape({3, 2, -1})).at(0);
  EXPECT_LT(test::max_rel_error(back.reshape(x.sizes()), ref_grad), 1e-6);
}

TEST(UserModelLayers, ResizeIsInterpolateInEveryModeTorchExports) {
  // Each interpolate mode as torch 2.11's exporters write it (both: nearest as asymmetric + floor,
  // bilinear as half_pixel or align_corners). pytorch_half_pixel equals half_pixel for outputs longer
  // than 1. nearest-exact has no TorchScript export; its formula is half_pixel, ties rounded up.
  torch::manual_seed(13);
  const Tensor x = torch::randn({2, 3, 7, 5});
  using M = Resize::Mode;
  struct Case {
    std::string name;
    Resize layer;
    F::InterpolateFuncOptions reference;
  };
  const std::vector<Case> cases = {
      {"nearest x2", resize_layer(M::Nearest, "asymmetric", "floor", {{2, 2.0, 0}, {3, 2.0, 0}}),
       nearest().scale_factor(std::vector<double>{2, 2})},
      {"nearest to 12x8", resize_layer(M::Nearest, "asymmetric", "floor", {{2, 0, 12}, {3, 0, 8}}),
       nearest().size(std::vector<int64_t>{12, 8})},
      {"nearest-exact to 10x3", resize_layer(M::Nearest, "half_pixel", "round_prefer_ceil", {{2, 0, 10}, {3, 0, 3}}),
       nearest_exact().size(std::vector<int64_t>{10, 3})},
      {"bilinear x2", resize_layer(M::Linear, "half_pixel", "floor", {{2, 2.0, 0}, {3, 2.0, 0}}),
       bilinear().scale_factor(std::vector<double>{2, 2}).align_corners(false)},
      {"bilinear x0.5", resize_layer(M::Linear, "pytorch_half_pixel", "floor", {{2, 0.5, 0}, {3, 0.5, 0}}),
       bilinear().scale_factor(std::vector<double>{0.5, 0.5}).align_corners(false)},
      {"bilinear to 11x9, corners", resize_layer(M::Linear, "align_corners", "floor", {{2, 0, 11}, {3, 0, 9}}),
       bilinear().size(std::vector<int64_t>{11, 9}).align_corners(true)},
      {"bilinear to 1x9", resize_layer(M::Linear, "half_pixel", "floor", {{2, 0, 1}, {3, 0, 9}}),
       bilinear().size(std::vector<int64_t>{1, 9}).align_corners(false)},
  };
  for (const auto& c : cases)
    expect_matches(c.layer, x, [&](const Tensor& t) { return F::interpolate(t, c.reference); }, c.name);
}

TEST(UserModelLayers, WhereOfAComparisonIsTorchWhere) {
  // torch.where(h > t, h, 0.5 * k) with a broadcast threshold and a broadcast second branch: the
  // gradient reaches each branch where it was taken, none flows through the comparison.
  torch::manual_seed(14);
  const Tensor h = torch::randn({3, 4, 5}), t = torch::randn({1, 4, 1}) * 0.3, k = torch::randn({4, 5});
  Tensor hi = h.clone().requires_grad_(true), ti = t.clone().requires_grad_(true), ki = k.clone().requires_grad_(true);
  const Tensor ref = torch::where(hi > ti, hi, 0.5 * ki);
  const Tensor g = torch::randn_like(ref);
  const auto grads = torch::autograd::grad({ref}, {hi, ti, ki}, {g}, false, false, /*allow_unused=*/true);
  torch::NoGradGuard no_grad;
  const Compare greater("Greater");
  const Where where;
  const Tensor mask = greater.forward({h, t}, false), half = 0.5 * k;
  const Tensor out = where.forward({mask, h, half}, false);
  EXPECT_TRUE(torch::equal(out, ref.detach()));
  const Tensors back = where.backward({mask, h, half}, out, g);
  EXPECT_FALSE(back.at(0).defined());
  EXPECT_LT(test::max_rel_error(back.at(1), grads[0]), 1e-6);
  for (const Tensor& none : greater.backward({h, t}, mask, g)) EXPECT_FALSE(none.defined());
  EXPECT_LT(test::max_rel_error(back.at(2) * 0.5, grads[2]), 1e-6);
  EXPECT_FALSE(grads[1].defined() && grads[1].abs().sum().item<double>() > 0);  // autograd agrees: none to t
  EXPECT_EQ(Compare("LessOrEqual").forward({h, t}, false).sum().item<double>(),
            h.numel() - mask.sum().item<double>());
}

TEST(UserModelLayers, ExportThenImportKeepsEveryNewLayer) {
  torch::manual_seed(15);
  Graph g;
  int x = g.add_input({"input", {3, 6, 5}});
  int n = g.add("norm", std::make_unique<InstanceNorm>(torch::rand({3}) + 0.5, torch::randn({3}), 1e-5, true), {x});
  int up = g.add("up", std::make_unique<Resize>(Resize::Mode::Linear, "half_pixel", "round_prefer_floor",
                                                std::vector<Resize::Axis>{{2, 2.0, 0}, {3, 0, 9}}),
                 {x});
  int near = g.add("near", std::make_unique<Resize>(Resize::Mode::Nearest, "asymmetric", "floor",
                                                    std::vector<Resize::Axis>{{2, 0, 12}, {3, 0, 9}}),
                   {n});
  int mask = g.add("gt", std::make_unique<Compare>("Greater"), {up, near});
  int w = g.add("where", std::make_unique<Where>(), {mask, up, near});
  int f = g.add("flat", std::make_unique<Flatten>(1), {w});
  g.add("fc", std::make_unique<Linear>(torch::randn({4, 3 * 12 * 9}) * 0.05, torch::randn({4})), {f});
  const std::string path = test::temp_dir("user_layers") + "/model.onnx";
  EXPECT_THROW(save_onnx(g, path), UnsupportedError);  // "up" mixes a scale and a size
  static_cast<Resize&>(g.layer(up)).axes = {{2, 0, 12}, {3, 0, 9}};
  save_onnx(g, path);
  Graph h = load_onnx(path);
  const Tensor in = torch::randn({4, 3, 6, 5});
  EXPECT_TRUE(torch::equal(g.forward(in), h.forward(in)));
  std::vector<std::string> kinds;
  for (int k = 1; k < h.size(); ++k) kinds.emplace_back(kind_name(h.node(k).layer->kind()));
  for (const char* kind : {"instancenorm", "resize", "compare", "where"})
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end()) << kind;
}
