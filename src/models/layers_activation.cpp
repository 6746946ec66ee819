// Pointwise nonlinearities.
#include "models/layers.h"

namespace sanity {

Tensor ReLU::forward(const Tensors& in, bool) const { return at::relu(in.at(0)); }

Tensors ReLU::backward(const Tensors&, const Tensor& out, const Tensor& grad_out) const {
  // One fused kernel (PyTorch's own ReLU backward) instead of compare, convert and multiply.
  return {at::threshold_backward(grad_out, out, 0)};
}

Tensor LeakyReLU::forward(const Tensors& in, bool) const { return at::leaky_relu(in.at(0), alpha); }

Tensor Clip::forward(const Tensors& in, bool) const {
  return at::clamp(in.at(0), lo ? c10::optional<at::Scalar>(*lo) : c10::nullopt,
                   hi ? c10::optional<at::Scalar>(*hi) : c10::nullopt);
}

Tensors Clip::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  Tensor pass = at::ones_like(in.at(0), at::kBool);
  if (lo) pass = pass & (in.at(0) > *lo);
  if (hi) pass = pass & (in.at(0) < *hi);
  return {grad_out * pass.to(grad_out.scalar_type())};
}

std::string Clip::describe() const {
  std::string s = "[";
  s += lo ? std::to_string(*lo) : std::string("-inf");
  s += ", ";
  s += hi ? std::to_string(*hi) : std::string("inf");
  return s + "]";
}

Tensor Sigmoid::forward(const Tensors& in, bool) const { return at::sigmoid(in.at(0)); }

Tensor Tanh::forward(const Tensors& in, bool) const { return at::tanh(in.at(0)); }

Tensor Softmax::forward(const Tensors& in, bool) const { return at::softmax(in.at(0), axis); }

Tensors Softmax::backward(const Tensors&, const Tensor& out, const Tensor& grad_out) const {
  const int64_t dim = axis < 0 ? axis + out.dim() : axis;
  return {at::_softmax_backward_data(grad_out.contiguous(), out.contiguous(), dim, out.scalar_type())};
}

Tensor LogSoftmax::forward(const Tensors& in, bool) const { return at::log_softmax(in.at(0), axis); }

}  // namespace sanity
