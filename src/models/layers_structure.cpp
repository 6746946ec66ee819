// Layers that move, join or reshape values without weights.
#include <sstream>

#include "models/layers.h"

namespace sanity {
namespace {

// The gradient of a broadcast operand: sum over the broadcast dimensions.
Tensor unbroadcast(const Tensor& g, const Tensor& like) {
  if (g.sizes() == like.sizes()) return g;
  return at::sum_to(g, like.sizes());
}

}  // namespace

Tensor Flatten::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  int64_t a = axis < 0 ? axis + x.dim() : axis;
  int64_t outer = 1;
  for (int64_t i = 0; i < a; ++i) outer *= x.size(i);
  return x.reshape({outer, -1});
}

Tensors Flatten::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {grad_out.reshape(in.at(0).sizes())};
}

Tensor Reshape::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  std::vector<int64_t> s = shape;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == 0 && static_cast<int64_t>(i) < x.dim()) s[i] = x.size(i);
  if (batch_first && !s.empty()) s[0] = x.size(0);
  return x.reshape(s);
}

Tensors Reshape::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {grad_out.reshape(in.at(0).sizes())};
}

std::string Reshape::describe() const {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < shape.size(); ++i) o << (i ? "," : "") << shape[i];
  o << "]";
  return o.str();
}

Tensor Transpose::forward(const Tensors& in, bool) const { return in.at(0).permute(perm); }

Tensors Transpose::backward(const Tensors&, const Tensor&, const Tensor& grad_out) const {
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return {grad_out.permute(inverse)};
}

Tensor Pad::forward(const Tensors& in, bool) const {
  // ONNX [b1, b2, ..., e1, e2, ...] over all dims -> ATen pairs from the last dim backwards.
  const size_t n = pads.size() / 2;
  std::vector<int64_t> aten;
  for (size_t i = n; i-- > 0;) {
    aten.push_back(pads[i]);
    aten.push_back(pads[i + n]);
  }
  while (aten.size() > 2 && aten[aten.size() - 1] == 0 && aten[aten.size() - 2] == 0) aten.resize(aten.size() - 2);
  return at::constant_pad_nd(in.at(0), aten, value);
}

Tensor Add::forward(const Tensors& in, bool) const { return in.at(0) + in.at(1); }

Tensors Add::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {unbroadcast(grad_out, in.at(0)), unbroadcast(grad_out, in.at(1))};
}

Tensor Mul::forward(const Tensors& in, bool) const { return in.at(0) * in.at(1); }

Tensors Mul::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {unbroadcast(grad_out * in.at(1), in.at(0)), unbroadcast(grad_out * in.at(0), in.at(1))};
}

Tensor Sub::forward(const Tensors& in, bool) const { return in.at(0) - in.at(1); }

Tensors Sub::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {unbroadcast(grad_out, in.at(0)), unbroadcast(-grad_out, in.at(1))};
}

Tensor Div::forward(const Tensors& in, bool) const { return in.at(0) / in.at(1); }

Tensors Div::backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const {
  const Tensor q = grad_out / in.at(1);
  return {unbroadcast(q, in.at(0)), unbroadcast(-q * out, in.at(1))};
}

Tensor Concat::forward(const Tensors& in, bool) const { return at::cat(in, axis); }

Tensors Concat::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  Tensors grads;
  int64_t a = axis < 0 ? axis + grad_out.dim() : axis;
  int64_t offset = 0;
  for (const auto& t : in) {
    grads.push_back(grad_out.narrow(a, offset, t.size(a)));
    offset += t.size(a);
  }
  return grads;
}

ConstArith::ConstArith(Op op_, Tensor constant, bool constant_first_, bool trainable)
    : op(op_), constant_first(constant_first_) {
  params_ = {{"constant", std::move(constant), trainable}};
}

Tensor ConstArith::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  const Tensor& a = constant_first ? constant() : x;
  const Tensor& b = constant_first ? x : constant();
  switch (op) {
    case Op::Add: return a + b;
    case Op::Sub: return a - b;
    case Op::Mul: return a * b;
    case Op::Div: return a / b;
    case Op::Pow: return at::pow(a, b);
  }
  return x;
}

Tensors ConstArith::backward(const Tensors& in, const Tensor& out, const Tensor& g) const {
  const Tensor& x = in.at(0);
  const Tensor& c = constant();
  Tensor d;
  switch (op) {
    case Op::Add: d = g; break;
    case Op::Sub: d = constant_first ? -g : g; break;
    case Op::Mul: d = g * c; break;
    case Op::Div: d = constant_first ? -g * out / x : g / c; break;
    case Op::Pow: d = constant_first ? g * out * at::log(c) : g * c * at::pow(x, c - 1); break;
  }
  return {unbroadcast(d, x)};
}

std::string ConstArith::describe() const {
  const char* names[] = {"add", "sub", "mul", "div", "pow"};
  return std::string(names[static_cast<int>(op)]) + " constant of " + std::to_string(constant().numel()) + " values" +
         (params_[0].trainable ? " (parameter)" : "");
}

Tensor ReduceMean::forward(const Tensors& in, bool) const {
  if (axes.empty()) return keepdims ? in.at(0).mean().reshape(std::vector<int64_t>(in.at(0).dim(), 1)) : in.at(0).mean();
  return in.at(0).mean(axes, keepdims);
}

}  // namespace sanity
