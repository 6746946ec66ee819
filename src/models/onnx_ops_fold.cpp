// Operators that only ever fold at import (onnx_importer.h): the shape arithmetic of dynamic-batch
// exports (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), Swin's attention masks (Range, Mod,
// Equal, Where, ScatterND) and the like. Their inputs are constants, or a Shape of a computed tensor,
// which the probes answer at both probe batch sizes.
#include "models/onnx_importer.h"

namespace sanity::onnx_import {
namespace {

using Node = onnx::NodeProto;

// A handler that folds `f` over the node's constant inputs.
OpHandler folding(std::function<Tensors(const Importer&, const Node&, const Tensors&)> f) {
  return [f = std::move(f)](Importer& im, const Node& n) {
    if (!im.all_constant(n))
      im.unsupported(n, "is supported on constants and shapes only, not on a tensor computed from the image");
    im.fold(n, [&](const Tensors& in) { return f(im, n, in); });
  };
}

at::ScalarType onnx_type(const Importer& im, const Node& n, int64_t code) {
  switch (code) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::DOUBLE: return torch::kFloat32;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT64: return torch::kInt64;
    case onnx::TensorProto::BOOL: return torch::kBool;
    default: im.unsupported(n, "cast to element type " + std::to_string(code) + " is not supported");
  }
}

// Shape of a computed tensor: the probes' shapes (they differ where the batch size enters).
void shape(Importer& im, const Node& n) {
  const int64_t start = im.attr_int(n, "start", 0), end_attr = im.attr_int(n, "end", INT64_MAX);
  auto cut = [start, end_attr](at::IntArrayRef s) {
    const int64_t r = static_cast<int64_t>(s.size());
    auto clamp = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
    const int64_t b = clamp(start), e = std::max(b, clamp(end_attr));
    return torch::tensor(std::vector<int64_t>(s.begin() + b, s.begin() + e), torch::kInt64);
  };
  if (im.is_constant(n.input(0))) {
    im.fold(n, [&](const Tensors& in) { return Tensors{cut(in.at(0).sizes())}; });
    return;
  }
  const int x = im.value(n, 0);
  const auto a = im.probe(x, 0), b = im.probe(x, 1);
  if (!a || !b) im.unsupported(n, "needs a fixed input height and width to know the shape");
  Constant c;
  c.value = cut(a->sizes());
  const Tensor second = cut(b->sizes());
  if (!second.equal(c.value)) c.second = second;
  im.set_constant(n.output(0), std::move(c));
}

Tensors constant_of_shape(const Importer& im, const Node& n, const Tensors& in) {
  Tensor fill = torch::zeros({1});
  if (const auto* v = im.attr(n, "value")) fill = im.to_tensor(v->t(), "node '" + im.name_of(n) + "' value");
  const Tensor s = in.at(0).to(torch::kInt64).contiguous();
  const std::vector<int64_t> dims(s.data_ptr<int64_t>(), s.data_ptr<int64_t>() + s.numel());
  return {at::full(dims, fill.reshape({-1})[0].item(), fill.options())};
}

Tensors range(const Importer&, const Node&, const Tensors& in) {
  return {at::arange(in.at(0).item(), in.at(1).item(), in.at(2).item(), in.at(0).options())};
}

Tensors mod(const Importer& im, const Node& n, const Tensors& in) {
  // fmod=0 (integers): the sign of the divisor, as Python's %; fmod=1: C's fmod.
  return {im.attr_int(n, "fmod", 0) ? at::fmod(in.at(0), in.at(1)) : at::remainder(in.at(0), in.at(1))};
}

Tensors where(const Importer&, const Node&, const Tensors& in) {
  return {at::where(in.at(0).to(torch::kBool), in.at(1), in.at(2))};
}

// data[indices[i]] = updates[i] over the first k dimensions (k = the indices' last dimension).
Tensors scatter_nd(const Importer& im, const Node& n, const Tensors& in) {
  if (im.attr_string(n, "reduction", "none") != "none") im.unsupported(n, "only reduction=none is supported");
  Tensor data = in.at(0).clone();
  const Tensor& indices = in.at(1);
  const int64_t k = indices.size(-1);
  const Tensor idx = indices.reshape({-1, k}).to(torch::kInt64);
  std::vector<int64_t> rest(data.sizes().begin() + k, data.sizes().end());
  rest.insert(rest.begin(), idx.size(0));
  c10::List<c10::optional<Tensor>> where;
  for (int64_t d = 0; d < k; ++d) where.push_back(idx.select(1, d));
  data.index_put_(where, in.at(2).reshape(rest).to(data.scalar_type()));
  return {data};
}

template <class F>
OpHandler elementwise(F f) {
  return folding([f](const Importer&, const Node&, const Tensors& in) { return Tensors{f(in)}; });
}

}  // namespace

void add_folding_operators(std::map<std::string, OpHandler>& t) {
  t["Shape"] = shape;
  t["Size"] = folding([](const Importer&, const Node&, const Tensors& in) {
    return Tensors{torch::tensor(in.at(0).numel(), torch::kInt64)};
  });
  t["ConstantOfShape"] = folding(constant_of_shape);
  t["Range"] = folding(range);
  t["Mod"] = folding(mod);
  t["Where"] = folding(where);
  t["ScatterND"] = folding(scatter_nd);
  t["Equal"] = elementwise([](const Tensors& in) { return at::eq(in.at(0), in.at(1)); });
  t["Less"] = elementwise([](const Tensors& in) { return at::lt(in.at(0), in.at(1)); });
  t["Greater"] = elementwise([](const Tensors& in) { return at::gt(in.at(0), in.at(1)); });
  t["GreaterOrEqual"] = elementwise([](const Tensors& in) { return at::ge(in.at(0), in.at(1)); });
  t["LessOrEqual"] = elementwise([](const Tensors& in) { return at::le(in.at(0), in.at(1)); });
  t["Not"] = elementwise([](const Tensors& in) { return at::logical_not(in.at(0)); });
  t["And"] = elementwise([](const Tensors& in) { return at::logical_and(in.at(0), in.at(1)); });
  t["Or"] = elementwise([](const Tensors& in) { return at::logical_or(in.at(0), in.at(1)); });
  t["Floor"] = elementwise([](const Tensors& in) { return at::floor(in.at(0)); });
  t["Ceil"] = elementwise([](const Tensors& in) { return at::ceil(in.at(0)); });
  t["Abs"] = elementwise([](const Tensors& in) { return at::abs(in.at(0)); });
  t["Min"] = elementwise([](const Tensors& in) {
    Tensor r = in.at(0);
    for (size_t i = 1; i < in.size(); ++i) r = at::minimum(r, in[i]);
    return r;
  });
  t["Max"] = elementwise([](const Tensors& in) {
    Tensor r = in.at(0);
    for (size_t i = 1; i < in.size(); ++i) r = at::maximum(r, in[i]);
    return r;
  });
  t["Cast"] = [](Importer& im, const Node& n) {
    const at::ScalarType to = onnx_type(im, n, im.attr_int(n, "to", onnx::TensorProto::FLOAT));
    if (im.is_constant(n.input(0))) {
      im.fold(n, [to](const Tensors& in) { return Tensors{in.at(0).to(to)}; });
      return;
    }
    const int x = im.value(n, 0);
    // Float to float, or a comparison's 1.0 / 0.0 to the boolean Where reads: nothing to do.
    const bool mask = to == torch::kBool && im.graph().layer(x).kind() == LayerKind::Compare;
    if (to != torch::kFloat32 && !mask)
      im.unsupported(n, "cast of a tensor computed from the image to a non-float type");
    im.set_value(n.output(0), x);
  };
}

}  // namespace sanity::onnx_import
