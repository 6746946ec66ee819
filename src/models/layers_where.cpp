// Compare and Where (layers_user_models.h): torch.where on computed tensors.
#include "models/layers.h"

namespace sanity {
namespace {

Tensor compared(const std::string& op, const Tensor& a, const Tensor& b) {
  if (op == "Greater") return at::gt(a, b);
  if (op == "Less") return at::lt(a, b);
  if (op == "GreaterOrEqual") return at::ge(a, b);
  if (op == "LessOrEqual") return at::le(a, b);
  return at::eq(a, b);
}

// The gradient of a broadcast operand: summed over the dimensions it was broadcast along.
Tensor summed_to(const Tensor& g, at::IntArrayRef shape) { return g.sizes() == shape ? g : at::sum_to(g, shape); }

}  // namespace

Tensor Compare::forward(const Tensors& in, bool) const {
  const Tensor &a = in.at(0), &b = in.at(1);
  return compared(op, a, b).to(a.is_floating_point() ? a.scalar_type() : torch::kFloat32);
}

Tensors Compare::backward(const Tensors&, const Tensor&, const Tensor&) const { return {Tensor(), Tensor()}; }

Tensor Where::forward(const Tensors& in, bool) const { return at::where(in.at(0) != 0, in.at(1), in.at(2)); }

Tensors Where::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  const Tensor taken = at::broadcast_to(in.at(0) != 0, g.sizes());
  const Tensor zero = at::zeros({}, g.options());
  return {Tensor(), summed_to(at::where(taken, g, zero), in.at(1).sizes()),
          summed_to(at::where(taken, zero, g), in.at(2).sizes())};
}

}  // namespace sanity
