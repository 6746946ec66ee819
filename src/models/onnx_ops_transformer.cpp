// Operators of transformers and modern CNNs (onnx_importer.h): LayerNormalization, GELU, the
// MobileNetV3 activations, and the indexing of token sequences (Slice, Gather, Split, Expand).
// Each adds a layer of layers_transformer.h, or folds when its input is a constant.
#include "models/onnx_importer.h"

namespace sanity::onnx_import {
namespace {

using Node = onnx::NodeProto;

void layer_norm(Importer& im, const Node& n) {
  const int64_t axis = im.attr_int(n, "axis", -1);
  const double eps = im.attr_float(n, "epsilon", 1e-5);
  const int x = im.value(n, 0);
  Tensor w = im.has_input(n, 1) ? im.constant(n, 1, "scale").to(torch::kFloat32).clone() : Tensor();
  Tensor b = im.has_input(n, 2) ? im.constant(n, 2, "bias").to(torch::kFloat32).clone() : Tensor();
  if (!w.defined()) {  // a fused chain without the affine part
    const auto p = im.probe(x);
    if (!p) im.unsupported(n, "needs a fixed input size to know the normalized shape");
    const int64_t a = axis < 0 ? axis + p->dim() : axis;
    w = torch::ones(p->sizes().slice(a));
  }
  im.emit(n, std::make_unique<LayerNorm>(w, b, axis, eps), {x});
}

void gelu(Importer& im, const Node& n) {
  if (im.attr_string(n, "approximate", "none") != "none")
    im.unsupported(n, "the tanh approximation of GELU is not supported (export with approximate='none')");
  im.emit_or_fold(n, std::make_unique<Gelu>());
}

void hard_sigmoid(Importer& im, const Node& n) {
  im.emit_or_fold(n, std::make_unique<HardSigmoid>(im.attr_float(n, "alpha", 0.2), im.attr_float(n, "beta", 0.5)));
}

void neg(Importer& im, const Node& n) {
  im.emit_or_fold(n, std::make_unique<ConstArith>(ConstArith::Op::Mul, torch::tensor(-1.0f), false));
}

// Slice bounds as integers; opset < 10 gives them as attributes.
struct Bounds {
  std::vector<BatchAffine> starts, ends;
  std::vector<int64_t> axes, steps;
};

Bounds slice_bounds(Importer& im, const Node& n) {
  Bounds b;
  auto fixed = [](const std::vector<int64_t>& v) {
    std::vector<BatchAffine> out;
    for (int64_t x : v) out.push_back({0, x});
    return out;
  };
  if (im.opset() < 10) {
    b.starts = fixed(im.attr_ints(n, "starts", {}));
    b.ends = fixed(im.attr_ints(n, "ends", {}));
    b.axes = im.attr_ints(n, "axes", {});
  } else {
    b.starts = im.batch_ints(n, 1, "starts");
    b.ends = im.batch_ints(n, 2, "ends");
    if (im.has_input(n, 3)) b.axes = im.ints_of(im.constant(n, 3, "axes"));
    if (im.has_input(n, 4)) b.steps = im.ints_of(im.constant(n, 4, "steps"));
  }
  if (b.axes.empty())
    for (size_t i = 0; i < b.starts.size(); ++i) b.axes.push_back(static_cast<int64_t>(i));
  if (b.steps.empty()) b.steps.assign(b.starts.size(), 1);
  if (b.ends.size() != b.starts.size() || b.axes.size() != b.starts.size() || b.steps.size() != b.starts.size())
    im.bad(n, "starts, ends, axes and steps differ in length");
  for (int64_t s : b.steps)
    if (s == 0) im.bad(n, "a slice step is 0");
  return b;
}

// A bound that follows the batch size is kept when it is the whole dimension (x[:, a:] on [N, ...]).
int64_t resolve_bound(Importer& im, const Node& n, const BatchAffine& e, int x, int64_t axis, bool is_end) {
  if (e.factor == 0) return e.offset;
  for (int p = 0; p < 2; ++p) {
    const auto t = im.probe(x, p);
    const int64_t dim = t ? t->size(axis < 0 ? axis + t->dim() : axis) : -1;
    if (!is_end || !t || e.factor * kProbeBatch[p] + e.offset != dim)
      im.unsupported(n, "a slice bound depends on the batch size");
  }
  return INT64_MAX;
}

void slice(Importer& im, const Node& n) {
  if (im.opset() < 10 && im.is_constant(n.input(0))) {
    const Bounds b = slice_bounds(im, n);
    std::vector<int64_t> starts, ends;
    for (size_t i = 0; i < b.starts.size(); ++i) {
      starts.push_back(b.starts[i].offset);
      ends.push_back(b.ends[i].offset);
    }
    im.emit_or_fold(n, std::make_unique<Slice>(starts, ends, b.axes, b.steps));
    return;
  }
  if (im.all_constant(n)) {
    im.fold(n, [&im](const Tensors& in) {
      std::vector<int64_t> axes, steps;
      const auto starts = im.ints_of(in.at(1)), ends = im.ints_of(in.at(2));
      axes = in.size() > 3 && in[3].defined() ? im.ints_of(in[3]) : std::vector<int64_t>{};
      steps = in.size() > 4 && in[4].defined() ? im.ints_of(in[4]) : std::vector<int64_t>(starts.size(), 1);
      for (size_t i = axes.size(); i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
      return Tensors{Slice(starts, ends, axes, steps).forward({in.at(0)}, false)};
    });
    return;
  }
  const int x = im.value(n, 0);
  const Bounds b = slice_bounds(im, n);
  std::vector<int64_t> starts, ends;
  for (size_t i = 0; i < b.starts.size(); ++i) {
    starts.push_back(resolve_bound(im, n, b.starts[i], x, b.axes[i], false));
    ends.push_back(resolve_bound(im, n, b.ends[i], x, b.axes[i], true));
  }
  im.emit(n, std::make_unique<Slice>(starts, ends, b.axes, b.steps), {x});
}

// torch's dynamo exporter writes as_strided (ConvNeXt's and Swin's adaptive pooling: a view of each
// image) as a Gather on the flattened batch, indices computed from the batch size: image i reads
// base + i * K, K its number of elements. That is the base indices gathered within each image. True if
// n is such a Gather (then emitted as a Reshape to [N, K] and a Gather on axis 1).
bool per_image_gather(Importer& im, const Node& n, int64_t axis) {
  static_assert(kProbeBatch[0] == 1, "the first probe holds one image");
  if (!im.is_constant(n.input(1))) return false;
  const Constant& c = im.folded(n, 1, "indices");
  if (axis != 0 || !c.batch_dependent() || im.is_constant(n.input(0))) return false;
  const int x = im.value(n, 0);
  const auto p0 = im.probe(x, 0), p1 = im.probe(x, 1);
  if (!p0 || !p1 || p0->dim() != 1 || p1->dim() != 1 || p1->numel() != p0->numel() * kProbeBatch[1]) return false;
  const int64_t k = p0->numel();
  const Tensor base = c.value.to(torch::kInt64), second = c.second.to(torch::kInt64);
  if (base.dim() == 0 || base.size(0) != 1 || second.dim() != base.dim() || second.size(0) != kProbeBatch[1]) return false;
  for (int64_t i = 0; i < kProbeBatch[1]; ++i)
    if (!second[i].equal(base[0] + i * k)) return false;
  if (base.min().item<int64_t>() < 0 || base.max().item<int64_t>() >= k) return false;
  Node rows;
  rows.set_name(n.name() + "/per_image");
  rows.set_op_type("Reshape");
  rows.add_input(n.input(0));
  rows.add_output(n.output(0) + "/per_image");
  const int r = im.emit(rows, std::make_unique<Reshape>(std::vector<int64_t>{-1, k}, false), {x});
  im.emit(n, std::make_unique<Gather>(1, base[0].clone()), {r});
  return true;
}

void gather(Importer& im, const Node& n) {
  const int64_t axis = im.attr_int(n, "axis", 0);
  if (im.all_constant(n)) {
    im.fold(n, [axis](const Tensors& in) { return Tensors{Gather(axis, in.at(1).to(torch::kInt64)).forward({in.at(0)}, false)}; });
    return;
  }
  if (per_image_gather(im, n, axis)) return;
  const Tensor idx = im.constant(n, 1, "indices").to(torch::kInt64);
  im.emit(n, std::make_unique<Gather>(axis, idx), {im.value(n, 0)});
}

// Split into parts along an axis: one Slice layer per output.
void split(Importer& im, const Node& n) {
  const int64_t axis = im.attr_int(n, "axis", 0);
  std::vector<int64_t> sizes;
  if (im.opset() >= 13 && im.has_input(n, 1)) sizes = im.ints_of(im.constant(n, 1, "split"));
  else sizes = im.attr_ints(n, "split", {});
  if (sizes.empty()) {  // equal parts
    const auto p = im.is_constant(n.input(0)) ? std::optional<Tensor>(im.folded(n, 0, "input").value) : im.probe(im.value(n, 0));
    if (!p) im.unsupported(n, "an equal split needs a fixed input size");
    const int64_t dim = p->size(axis < 0 ? axis + p->dim() : axis), parts = n.output_size();
    if (parts < 1 || dim % parts) im.unsupported(n, "the axis does not split into equal parts");
    sizes.assign(static_cast<size_t>(parts), dim / parts);
  }
  if (static_cast<int>(sizes.size()) != n.output_size()) im.bad(n, "split sizes and outputs differ in number");
  if (im.is_constant(n.input(0))) {
    im.fold(n, [axis, sizes](const Tensors& in) {
      Tensors parts = in.at(0).split_with_sizes(sizes, axis);
      return parts;
    });
    return;
  }
  const int x = im.value(n, 0);
  int64_t start = 0;
  for (int k = 0; k < n.output_size(); ++k) {
    const int64_t end = start + sizes[static_cast<size_t>(k)];
    if (!n.output(k).empty())
      im.emit(n, std::make_unique<Slice>(std::vector<int64_t>{start}, std::vector<int64_t>{end},
                                         std::vector<int64_t>{axis}, std::vector<int64_t>{1}),
              {x}, k);
    start = end;
  }
}

// Expand of a computed tensor: entries that follow the batch size keep the input's own size (1).
void expand(Importer& im, const Node& n) {
  if (im.all_constant(n)) {
    im.fold(n, [&im](const Tensors& in) {
      return Tensors{Expand(im.ints_of(in.at(1))).forward({in.at(0)}, false).contiguous()};
    });
    return;
  }
  const int x = im.value(n, 0);
  std::vector<int64_t> shape;
  const auto target = im.batch_ints(n, 1, "shape");
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i].factor == 0) {
      shape.push_back(target[i].offset);
      continue;
    }
    for (int p = 0; p < 2; ++p) {
      const auto t = im.probe(x, p);
      const int64_t d = t ? static_cast<int64_t>(i) - static_cast<int64_t>(target.size()) + t->dim() : -1;
      if (!t || d < 0 || t->size(d) != target[i].factor * kProbeBatch[p] + target[i].offset)
        im.unsupported(n, "the target shape depends on the batch size other than through the input's own batch");
    }
    shape.push_back(1);
  }
  im.emit(n, std::make_unique<Expand>(shape), {x});
}

}  // namespace

void add_transformer_operators(std::map<std::string, OpHandler>& t) {
  t["LayerNormalization"] = layer_norm;
  t["Gelu"] = gelu;
  t["Erf"] = unary<Erf>();
  t["Sqrt"] = unary<Sqrt>();
  t["HardSigmoid"] = hard_sigmoid;
  t["HardSwish"] = unary<HardSwish>();
  t["Neg"] = neg;
  t["Slice"] = slice;
  t["Gather"] = gather;
  t["Split"] = split;
  t["Expand"] = expand;
}

}  // namespace sanity::onnx_import
