// Operators of the models users bring (onnx_importer.h): InstanceNormalization (GroupNorm), Resize
// (nn.Upsample, F.interpolate), and comparisons and Where on tensors computed from the image
// (torch.where). On constants, comparisons and Where keep folding (shape arithmetic).
#include "models/onnx_importer.h"

namespace sanity::onnx_import {
namespace {

using Node = onnx::NodeProto;

void instance_norm(Importer& im, const Node& n) {
  const Tensor scale = im.constant(n, 1, "scale").to(torch::kFloat32).reshape({-1}).clone();
  const Tensor bias = im.constant(n, 2, "B").to(torch::kFloat32).reshape({-1}).clone();
  if (scale.numel() != bias.numel()) im.bad(n, "scale and B differ in length");
  // The model's own parameters (InstanceNorm2d(affine=True)) are randomized with it; GroupNorm's
  // unit scale and zero bias are the exporter's constants, and its affine part follows as Mul, Add.
  const bool trainable = im.folded(n, 1, "scale").param || im.folded(n, 2, "B").param;
  im.emit_or_fold(n, std::make_unique<InstanceNorm>(scale, bias, im.attr_float(n, "epsilon", 1e-5), trainable));
}

// Resize's per-axis targets: from `sizes` (entries may follow the batch size: the batch axis kept)
// or from `scales`; axes left unchanged are dropped.
std::vector<Resize::Axis> resize_axes(Importer& im, const Node& n, int x) {
  const int scales_at = im.opset() < 11 ? 1 : 2;
  std::vector<int64_t> axes = im.attr_ints(n, "axes", {});
  const auto probe = im.probe(x);
  if (!probe) im.unsupported(n, "needs a fixed input size");
  const int64_t rank = probe->dim();
  std::vector<Resize::Axis> out;
  const bool by_size = im.opset() >= 11 && im.has_input(n, 3) && im.folded(n, 3, "sizes").value.numel() > 0;
  if (by_size) {
    if (im.attr_string(n, "keep_aspect_ratio_policy", "stretch") != "stretch")
      im.unsupported(n, "keep_aspect_ratio_policy other than 'stretch' is not supported");
    const auto sizes = im.batch_ints(n, 3, "sizes");
    if (axes.empty())
      for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) axes.push_back(d);
    if (axes.size() != sizes.size()) im.bad(n, "sizes and axes differ in length");
    for (size_t i = 0; i < axes.size(); ++i) {
      const int64_t d = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (d < 0 || d >= rank) im.bad(n, "axis " + std::to_string(axes[i]) + " outside the input's rank");
      const bool same = sizes[i].factor == (d == 0 ? 1 : 0) && sizes[i].offset == (d == 0 ? 0 : probe->size(d));
      if (same) continue;
      if (sizes[i].factor != 0 || d == 0) im.unsupported(n, "resizing the batch axis is not supported");
      out.push_back({d, 0.0, sizes[i].offset});
    }
    return out;
  }
  if (!im.has_input(n, scales_at)) im.bad(n, "neither scales nor sizes given");
  const Tensor scales = im.constant(n, scales_at, "scales").to(torch::kFloat64).reshape({-1});
  if (axes.empty())
    for (int64_t d = 0; d < scales.numel(); ++d) axes.push_back(d);
  if (static_cast<int64_t>(axes.size()) != scales.numel()) im.bad(n, "scales and axes differ in length");
  for (size_t i = 0; i < axes.size(); ++i) {
    const double s = scales[static_cast<int64_t>(i)].item<double>();
    const int64_t d = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (!(s > 0)) im.bad(n, "scale " + std::to_string(s) + " is not positive");
    if (s == 1.0) continue;
    if (d <= 0 || d >= rank) im.unsupported(n, "resizing the batch axis is not supported");
    out.push_back({d, s, 0});
  }
  return out;
}

void resize(Importer& im, const Node& n) {
  const std::string mode = im.attr_string(n, "mode", "nearest");
  if (mode != "nearest" && mode != "linear")
    im.unsupported(n, "mode '" + mode + "' is not supported (nearest and linear are; bicubic is not)");
  const std::string coordinates =
      im.attr_string(n, "coordinate_transformation_mode", im.opset() < 11 ? "asymmetric" : "half_pixel");
  static const std::set<std::string> known{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                           "tf_half_pixel_for_nearest"};
  if (!known.count(coordinates)) im.unsupported(n, "coordinate_transformation_mode '" + coordinates + "' is not supported");
  const std::string nearest = im.attr_string(n, "nearest_mode", "round_prefer_floor");
  if (nearest != "round_prefer_floor" && nearest != "round_prefer_ceil" && nearest != "floor" && nearest != "ceil")
    im.bad(n, "unknown nearest_mode '" + nearest + "'");
  if (im.is_constant(n.input(0))) im.unsupported(n, "resizing a constant is not supported");
  const int x = im.value(n, 0);
  const auto axes = resize_axes(im, n, x);
  if (im.attr_int(n, "antialias", 0) != 0)
    for (const auto& a : axes)
      if (a.size > 0 || a.scale < 1.0) im.unsupported(n, "antialiased downsampling is not supported");
  const auto m = mode == "nearest" ? Resize::Mode::Nearest : Resize::Mode::Linear;
  im.emit(n, std::make_unique<Resize>(m, coordinates, nearest, axes), {x});
}

// A comparison or Where: folds on constants (the handler it replaces), a layer otherwise.
OpHandler computed_or(OpHandler on_constants, std::function<void(Importer&, const Node&)> on_tensors) {
  return [on_constants = std::move(on_constants), on_tensors = std::move(on_tensors)](Importer& im, const Node& n) {
    if (im.all_constant(n)) on_constants(im, n);
    else on_tensors(im, n);
  };
}

void compare(Importer& im, const Node& n) {
  const int a = im.value(n, 0), b = im.value(n, 1);
  im.emit(n, std::make_unique<Compare>(n.op_type()), {a, b});
}

// A constant condition (a fixed mask) becomes a 1.0 / 0.0 constant the graph can carry.
void computed_where(Importer& im, const Node& n) {
  Node read = n;
  if (im.is_constant(n.input(0))) {
    Constant mask = im.folded(n, 0, "condition");
    mask.value = mask.value.to(torch::kFloat32);
    if (mask.second.defined()) mask.second = mask.second.to(torch::kFloat32);
    mask.param = false;
    read.set_input(0, n.input(0) + ":as_float");
    im.set_constant(read.input(0), std::move(mask));
  }
  const int cond = im.value(read, 0), a = im.value(read, 1), b = im.value(read, 2);
  im.emit(n, std::make_unique<Where>(), {cond, a, b});
}

}  // namespace

void add_user_model_operators(std::map<std::string, OpHandler>& t) {
  t["InstanceNormalization"] = instance_norm;
  t["Resize"] = resize;
  for (const char* op : {"Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual"}) {
    OpHandler folding = t.count(op) ? t.at(op) : OpHandler{};
    if (!folding) continue;
    t[op] = computed_or(folding, compare);
  }
  t["Where"] = computed_or(t.at("Where"), computed_where);
}

}  // namespace sanity::onnx_import
