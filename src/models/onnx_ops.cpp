// One handler per supported ONNX operator (onnx_importer.h): each reads its node's inputs and
// attributes and adds a layer, or folds what is constant.
#include "core/error.h"
#include "models/onnx_importer.h"

namespace sanity::onnx_import {
namespace {

using Node = onnx::NodeProto;

void constant_node(Importer& im, const Node& n) {
  Constant c;
  if (const auto* v = im.attr(n, "value")) c.value = im.to_tensor(v->t(), "node '" + im.name_of(n) + "' (Constant) value");
  else if (const auto* f = im.attr(n, "value_float")) c.value = torch::tensor(f->f());
  else if (const auto* fs = im.attr(n, "value_floats"))
    c.value = torch::tensor(std::vector<float>(fs->floats().begin(), fs->floats().end()));
  else if (const auto* i = im.attr(n, "value_int")) c.value = torch::tensor(i->i(), torch::kInt64);
  else if (const auto* is = im.attr(n, "value_ints"))
    c.value = torch::tensor(std::vector<int64_t>(is->ints().begin(), is->ints().end()), torch::kInt64);
  else im.unsupported(n, "only tensor, float and int constants are supported");
  im.set_constant(n.output(0), std::move(c));
}

// Identity and Dropout (inference): the output is the input.
void identity(Importer& im, const Node& n) {
  if (n.op_type() == "Dropout" && im.has_input(n, 2) && im.is_constant(n.input(2)) &&
      im.constant(n, 2, "training_mode").item<bool>() && im.has_input(n, 1) &&
      im.constant(n, 1, "ratio").item<double>() > 0)
    im.unsupported(n, "dropout in training mode is random; export the model in eval mode");
  if (im.is_constant(n.input(0))) im.set_constant(n.output(0), im.folded(n, 0, "input"));
  else im.set_value(n.output(0), im.value(n, 0));
}

void conv(Importer& im, const Node& n) {
  const Tensor& w = im.constant(n, 1, "weights");
  if (w.dim() != 4) im.unsupported(n, "weights of rank " + std::to_string(w.dim()) + "; only 2-D convolutions are supported");
  Tensor b = im.has_input(n, 2) ? im.constant(n, 2, "bias").to(torch::kFloat32) : Tensor();
  auto kernel = im.spatial(n, "kernel_shape", {w.size(2), w.size(3)});
  auto stride = im.spatial(n, "strides", {1, 1});
  auto dil = im.spatial(n, "dilations", {1, 1});
  const int x = im.value(n, 0);
  im.emit(n, std::make_unique<Conv2d>(w.to(torch::kFloat32), b, stride, im.pads2d(n, kernel, stride, dil, x), dil,
                                      im.attr_int(n, "group", 1)),
          {x});
}

void gemm(Importer& im, const Node& n) {
  if (im.attr_int(n, "transA", 0)) im.unsupported(n, "transA=1 is not supported");
  Tensor w = im.constant(n, 1, "weights").to(torch::kFloat32);
  if (w.dim() != 2) im.bad(n, "weights must be a matrix, got shape " + shape_str(w.sizes()));
  if (!im.attr_int(n, "transB", 0)) w = w.t();
  if (const double alpha = im.attr_float(n, "alpha", 1.0); alpha != 1.0) w = w * alpha;
  w = w.contiguous();  // no copy for PyTorch's exports (transB=1, alpha=1)
  Tensor b;
  if (im.has_input(n, 2)) {
    b = im.constant(n, 2, "bias").to(torch::kFloat32).reshape({-1}) * im.attr_float(n, "beta", 1.0);
    if (b.numel() == 1) b = b.expand({w.size(0)}).clone();
    if (b.numel() != w.size(0))
      im.bad(n, "bias has " + std::to_string(b.numel()) + " values for " + std::to_string(w.size(0)) + " outputs");
  }
  im.emit(n, std::make_unique<Linear>(w, b), {im.value(n, 0)});
}

// A constant right operand makes a Linear layer (MatMul + Add is PyTorch's nn.Linear on [N, T, C]);
// two computed operands (attention's Q K^T and A V) a MatMul layer.
void matmul(Importer& im, const Node& n) {
  if (im.all_constant(n)) {
    im.fold(n, [](const Tensors& in) { return Tensors{at::matmul(in.at(0), in.at(1))}; });
    return;
  }
  if (im.is_constant(n.input(1)) && !im.folded(n, 1, "weights").batch_dependent() &&
      im.constant(n, 1, "weights").dim() == 2) {
    Tensor w = im.constant(n, 1, "weights").to(torch::kFloat32);
    const int idx = im.emit(n, std::make_unique<Linear>(w.t().contiguous(), Tensor()), {im.value(n, 0)});
    im.fused_matmul().insert(idx);
    return;
  }
  const int a = im.value(n, 0), b = im.value(n, 1);
  im.emit(n, std::make_unique<MatMul>(), {a, b});
}

void batch_norm(Importer& im, const Node& n) {
  if (im.attr_int(n, "training_mode", 0)) im.unsupported(n, "training_mode=1 is not supported");
  auto f = [&](int i, const char* r) { return im.constant(n, i, r).to(torch::kFloat32).reshape({-1}).clone(); };
  im.emit(n, std::make_unique<BatchNorm>(f(1, "scale"), f(2, "bias"), f(3, "mean"), f(4, "var"),
                                         im.attr_float(n, "epsilon", 1e-5), 1.0 - im.attr_float(n, "momentum", 0.9)),
          {im.value(n, 0)});
}

void leaky_relu(Importer& im, const Node& n) {
  im.emit_or_fold(n, std::make_unique<LeakyReLU>(im.attr_float(n, "alpha", 0.01)));
}

void clip(Importer& im, const Node& n) {
  std::optional<double> lo, hi;
  if (im.opset() < 11) {
    if (im.attr(n, "min")) lo = im.attr_float(n, "min", 0);
    if (im.attr(n, "max")) hi = im.attr_float(n, "max", 0);
  } else {
    if (im.has_input(n, 1)) lo = im.constant(n, 1, "min").item<double>();
    if (im.has_input(n, 2)) hi = im.constant(n, 2, "max").item<double>();
  }
  im.emit_or_fold(n, std::make_unique<Clip>(lo, hi));
}

void softmax(Importer& im, const Node& n) {
  const int64_t axis = im.attr_int(n, "axis", im.opset() < 13 ? 1 : -1);
  const int x = im.value(n, 0);
  if (im.opset() < 13 && im.probe(x) && im.probe(x)->dim() != 2)
    im.unsupported(n, "opset < 13 softmax over an input of rank > 2 is not supported");
  if (n.op_type() == "Softmax") im.emit(n, std::make_unique<Softmax>(axis), {x});
  else im.emit(n, std::make_unique<LogSoftmax>(axis), {x});
}

void pool(Importer& im, const Node& n) {
  auto kernel = im.spatial(n, "kernel_shape", {});
  auto stride = im.spatial(n, "strides", {1, 1});
  auto dil = im.spatial(n, "dilations", {1, 1});
  const bool ceil = im.attr_int(n, "ceil_mode", 0) != 0;
  const int x = im.value(n, 0);
  const Pads2d pads = im.pads2d(n, kernel, stride, dil, x);
  if (n.op_type() == "MaxPool") {
    if (im.attr_int(n, "storage_order", 0)) im.unsupported(n, "storage_order=1 is not supported");
    im.emit(n, std::make_unique<MaxPool2d>(kernel, stride, pads, dil, ceil), {x});
    return;
  }
  if (dil[0] != 1 || dil[1] != 1) im.unsupported(n, "dilated average pooling is not supported");
  const bool include = im.attr_int(n, "count_include_pad", 0) != 0;
  if (!pads.symmetric() && !include) im.unsupported(n, "asymmetric pads with count_include_pad=0 are not supported");
  im.emit(n, std::make_unique<AvgPool2d>(kernel, stride, pads, ceil, include), {x});
}

void flatten(Importer& im, const Node& n) {
  im.emit_or_fold(n, std::make_unique<Flatten>(im.attr_int(n, "axis", 1)));
}

// ONNX Reshape of x to `shape`: 0 copies x's dimension, -1 is inferred.
Tensor reshaped(const Tensor& x, std::vector<int64_t> shape) {
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 0 && static_cast<int64_t>(i) < x.dim()) shape[i] = x.size(static_cast<int64_t>(i));
  return x.reshape(shape);
}

// The target may follow from the batch size (a dynamic-batch export's Shape -> Gather -> Concat). An
// entry that grows with N and equals the input's size at its position becomes 0 (copy that size);
// one other such entry becomes -1, which the layer infers from the input's size.
// allowzero=1 (torch's dynamo exporter writes it on every view) makes a 0 in the target a dimension of
// size 0 instead of a copy of the input's: the same reshape for a target without a 0, which is all a
// classifier's views have; a literal empty dimension is refused.
void reshape(Importer& im, const Node& n) {
  const bool allowzero = im.attr_int(n, "allowzero", 0) != 0;
  if (im.opset() >= 5 && im.is_constant(n.input(0))) {
    im.fold(n, [&im, &n, allowzero](const Tensors& in) {
      const Tensor c = in.at(1).to(torch::kInt64).contiguous();
      const std::vector<int64_t> target(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
      if (allowzero && std::count(target.begin(), target.end(), 0)) im.unsupported(n, "allowzero=1 with a 0 in the shape");
      return Tensors{reshaped(in.at(0), target)};
    });
    return;
  }
  const int x = im.value(n, 0);
  std::vector<int64_t> shape;
  if (im.opset() < 5) {
    shape = im.attr_ints(n, "shape", {});
  } else {
    const auto affine = im.batch_ints(n, 1, "shape");
    for (const auto& e : affine)
      if (allowzero && e.factor == 0 && e.offset == 0) im.unsupported(n, "allowzero=1 with a 0 in the shape");
    auto copies_input = [&](size_t i) {  // the entry is the input's own size at position i, at any N
      for (int p = 0; p < 2; ++p) {
        const auto t = im.probe(x, p);
        if (!t || static_cast<int64_t>(i) >= t->dim() ||
            t->size(static_cast<int64_t>(i)) != affine[i].factor * kProbeBatch[p] + affine[i].offset)
          return false;
      }
      return true;
    };
    bool inferred = false;
    for (const auto& e : affine) inferred = inferred || (e.factor == 0 && e.offset == -1);
    for (size_t i = 0; i < affine.size(); ++i) {
      if (affine[i].factor == 0) {
        shape.push_back(affine[i].offset);
      } else if (copies_input(i)) {
        shape.push_back(0);
      } else if (!inferred) {
        shape.push_back(-1);
        inferred = true;
      } else {
        im.unsupported(n, "the target shape has more than one entry that depends on the batch size");
      }
    }
  }
  // Checked here, not left to LibTorch: a dimension below -2^62 is a symbolic size to LibTorch 1.13,
  // whose stride computation then throws where it cannot be caught (std::terminate; found by fuzz_onnx).
  int64_t product = 1;
  for (const int64_t d : shape)
    if (d < -1 || d > (int64_t{1} << 40) || __builtin_mul_overflow(product, std::max<int64_t>(d, 1), &product) ||
        product > (int64_t{1} << 40))
      im.bad(n, "shape entry " + std::to_string(d) + " is not -1, 0 or a size, or the sizes multiply beyond 2^40");
  const bool batch_first = !shape.empty() && shape[0] > 0 && shape[0] == im.declared_batch();
  im.emit(n, std::make_unique<Reshape>(shape, batch_first), {x});
}

Tensor squeezed(const Tensor& t, const std::vector<int64_t>& axes) {
  if (axes.empty()) {
    std::vector<int64_t> keep{t.size(0)};
    for (int64_t d = 1; d < t.dim(); ++d)
      if (t.size(d) != 1) keep.push_back(t.size(d));
    return t.reshape(keep);
  }
  std::vector<int64_t> sorted = axes;
  for (auto& a : sorted) a = a < 0 ? a + t.dim() : a;
  std::sort(sorted.rbegin(), sorted.rend());
  Tensor r = t;
  for (auto a : sorted) r = r.squeeze(a);
  return r;
}

Tensor unsqueezed(const Tensor& t, const std::vector<int64_t>& axes) {
  std::vector<int64_t> sorted = axes;
  const int64_t rank = t.dim() + static_cast<int64_t>(axes.size());
  for (auto& a : sorted) a = a < 0 ? a + rank : a;
  std::sort(sorted.begin(), sorted.end());
  Tensor r = t;
  for (auto a : sorted) r = r.unsqueeze(a);
  return r;
}

void squeeze(Importer& im, const Node& n) {
  const std::vector<int64_t> axes = im.opset() < 13      ? im.attr_ints(n, "axes", {})
                                    : im.has_input(n, 1) ? im.ints_of(im.constant(n, 1, "axes"))
                                                         : std::vector<int64_t>{};
  if (n.op_type() == "Squeeze") im.reshape_to_probe(n, [axes](const Tensor& t) { return squeezed(t, axes); });
  else im.reshape_to_probe(n, [axes](const Tensor& t) { return unsqueezed(t, axes); });
}

void transpose(Importer& im, const Node& n) {
  auto perm = im.attr_ints(n, "perm", {});
  if (perm.empty()) {  // the default reverses the dimensions: needs the rank
    const auto p = im.is_constant(n.input(0)) ? std::optional<Tensor>(im.folded(n, 0, "input").value) : im.probe(im.value(n, 0));
    if (!p) im.unsupported(n, "a transpose without perm needs a fixed input size");
    for (int64_t d = p->dim() - 1; d >= 0; --d) perm.push_back(d);
  }
  im.emit_or_fold(n, std::make_unique<Transpose>(perm));
}

void concat(Importer& im, const Node& n) {
  const int64_t axis = im.attr_int(n, "axis", 1);
  if (im.all_constant(n)) {
    im.fold(n, [axis](const Tensors& in) { return Tensors{at::cat(in, axis)}; });
    return;
  }
  std::vector<int> ins;
  for (int i = 0; i < n.input_size(); ++i) ins.push_back(im.value(n, i));  // constants become nodes
  im.emit(n, std::make_unique<Concat>(axis), ins);
}

// MatMul followed by Add of a vector: the vector becomes the Linear layer's bias. True if folded.
bool fold_bias(Importer& im, const Node& n, const Tensor& c, int x, bool c0) {
  if (c.dim() > 2 || c.numel() <= 1 || im.uses(n.input(c0 ? 1 : 0)) != 1) return false;
  auto* lin = dynamic_cast<Linear*>(&im.graph().layer(x));
  if (!lin || lin->bias().defined() || c.numel() != lin->weight().size(0) || !im.fused_matmul().count(x)) return false;
  lin->params().push_back({"bias", c.reshape({-1}).to(torch::kFloat32).clone()});
  im.set_value(n.output(0), x);
  for (int p = 0; p < 2; ++p)
    if (auto t = im.probe(x, p)) im.set_probe(x, p, *t + c.reshape({-1}));
  return true;
}

// Elementwise binary ops: two constants fold; a constant operand gives ConstArith; two computed
// operands give Add/Sub/Mul/Div.
Tensor arithmetic(const std::string& op, const Tensor& a, const Tensor& b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Pow") return at::pow(a, b);
  // ONNX integer division truncates (shape arithmetic: H / patch).
  return a.is_floating_point() || b.is_floating_point() ? a / b : at::div(a, b, "trunc");
}

void binary(Importer& im, const Node& n) {
  const std::string& op = n.op_type();
  if (im.all_constant(n)) {
    im.fold(n, [op](const Tensors& in) { return Tensors{arithmetic(op, in.at(0), in.at(1))}; });
    return;
  }
  const bool c0 = im.is_constant(n.input(0)), c1 = n.input_size() > 1 && im.is_constant(n.input(1));
  const bool fixed = (c0 || c1) && !im.folded(n, c0 ? 0 : 1, "constant operand").batch_dependent();
  if (fixed) {
    const Constant& c = im.folded(n, c0 ? 0 : 1, "constant operand");
    const int x = im.value(n, c0 ? 1 : 0);
    if (op == "Add" && fold_bias(im, n, c.value, x, c0)) return;
    const ConstArith::Op o = op == "Add"   ? ConstArith::Op::Add
                             : op == "Sub" ? ConstArith::Op::Sub
                             : op == "Mul" ? ConstArith::Op::Mul
                             : op == "Div" ? ConstArith::Op::Div
                                           : ConstArith::Op::Pow;
    const bool trainable = c.param && c.value.numel() > 1;  // a layer scale, a position embedding
    im.emit(n, std::make_unique<ConstArith>(o, c.value.to(torch::kFloat32).clone(), c0, trainable), {x});
    return;
  }
  const int a = im.value(n, 0), b = im.value(n, 1);
  if (op == "Add") im.emit(n, std::make_unique<Add>(), {a, b});
  else if (op == "Sub") im.emit(n, std::make_unique<Sub>(), {a, b});
  else if (op == "Mul") im.emit(n, std::make_unique<Mul>(), {a, b});
  else if (op == "Div") im.emit(n, std::make_unique<Div>(), {a, b});
  else im.unsupported(n, op + " of two computed tensors is not supported (only with a constant exponent)");
}

void pad(Importer& im, const Node& n) {
  const std::string mode = im.attr_string(n, "mode", "constant");
  if (mode != "constant") im.unsupported(n, "pad mode '" + mode + "' is not supported (only constant)");
  std::vector<int64_t> pads = im.opset() < 11 ? im.attr_ints(n, "pads", {}) : im.ints_of(im.constant(n, 1, "pads"));
  const double v = im.opset() < 11        ? im.attr_float(n, "value", 0.0)
                   : im.has_input(n, 2) ? im.constant(n, 2, "constant_value").item<double>()
                                        : 0.0;
  if (pads.size() % 2) im.bad(n, "pads must have an even number of entries");
  const size_t r = pads.size() / 2;
  if (r >= 1 && (pads[0] || pads[r])) im.unsupported(n, "padding the batch dimension is not supported");
  im.emit_or_fold(n, std::make_unique<Pad>(pads, v));
}

void reduce_mean(Importer& im, const Node& n) {
  const std::vector<int64_t> axes = im.opset() < 18      ? im.attr_ints(n, "axes", {})
                                    : im.has_input(n, 1) ? im.ints_of(im.constant(n, 1, "axes"))
                                                         : std::vector<int64_t>{};
  im.emit_or_fold(n, std::make_unique<ReduceMean>(axes, im.attr_int(n, "keepdims", 1) != 0));
}

std::map<std::string, OpHandler> basic_operators() {
  return {
      {"Add", binary},
      {"AveragePool", pool},
      {"BatchNormalization", batch_norm},
      {"Clip", clip},
      {"Concat", concat},
      {"Constant", constant_node},
      {"Conv", conv},
      {"Div", binary},
      {"Dropout", identity},
      {"Flatten", flatten},
      {"Gemm", gemm},
      {"GlobalAveragePool", unary<GlobalAvgPool>()},
      {"GlobalMaxPool", unary<GlobalMaxPool>()},
      {"Identity", identity},
      {"LeakyRelu", leaky_relu},
      {"LogSoftmax", softmax},
      {"MatMul", matmul},
      {"MaxPool", pool},
      {"Mul", binary},
      {"Pad", pad},
      {"Pow", binary},
      {"ReduceMean", reduce_mean},
      {"Relu", unary<ReLU>()},
      {"Reshape", reshape},
      {"Sigmoid", unary<Sigmoid>()},
      {"Softmax", softmax},
      {"Squeeze", squeeze},
      {"Sub", binary},
      {"Tanh", unary<Tanh>()},
      {"Transpose", transpose},
      {"Unsqueeze", squeeze},
  };
}

}  // namespace

const std::map<std::string, OpHandler>& operator_table() {
  static const std::map<std::string, OpHandler> table = [] {
    std::map<std::string, OpHandler> t = basic_operators();
    add_transformer_operators(t);
    add_folding_operators(t);
    add_user_model_operators(t);
    return t;
  }();
  return table;
}

}  // namespace sanity::onnx_import
