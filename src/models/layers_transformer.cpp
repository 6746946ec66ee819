// Layers of transformers and modern CNNs (layers_transformer.h) and their vector-Jacobian products.
#include <cmath>
#include <sstream>

#include "models/layers.h"

namespace sanity {
namespace {

// The gradient of a broadcast operand: sum over the broadcast dimensions.
Tensor unbroadcast(const Tensor& g, at::IntArrayRef shape) {
  if (g.sizes() == shape) return g;
  return at::sum_to(g, shape);
}

std::string ints(const std::vector<int64_t>& v) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  return o.str() + "]";
}

}  // namespace

// ---- MatMul ----

Tensor MatMul::forward(const Tensors& in, bool) const { return at::matmul(in.at(0), in.at(1)); }

Tensors MatMul::backward(const Tensors& in, const Tensor& out, const Tensor& g) const {
  const Tensor &a = in.at(0), &b = in.at(1);
  if (a.dim() < 2 || b.dim() < 2) return Layer::backward(in, out, g);  // vector operands: rare
  return {unbroadcast(at::matmul(g, b.transpose(-1, -2)), a.sizes()),
          unbroadcast(at::matmul(a.transpose(-1, -2), g), b.sizes())};
}

// ---- Slice ----

namespace {

struct Range1d {
  int64_t axis, start, end, step;
};

// ONNX's clamping: negative values count from the end; for positive steps start and end are clamped
// to [0, dim], for negative steps (x[::-1]) start to [0, dim - 1] and end to [-1, dim - 1].
std::vector<Range1d> resolve(const Slice& s, const Tensor& x) {
  std::vector<Range1d> out;
  for (size_t i = 0; i < s.axes.size(); ++i) {
    const int64_t axis = s.axes[i] < 0 ? s.axes[i] + x.dim() : s.axes[i];
    const int64_t dim = x.size(axis), step = s.steps[i];
    auto wrap = [dim](int64_t v) { return v < 0 ? (v < -dim ? -dim - 1 : v + dim) : v; };
    if (step > 0) {
      const int64_t start = std::clamp<int64_t>(wrap(s.starts[i]), 0, dim);
      out.push_back({axis, start, std::max(start, std::clamp<int64_t>(wrap(s.ends[i]), 0, dim)), step});
    } else {
      const int64_t start = std::clamp<int64_t>(wrap(s.starts[i]), 0, dim - 1);
      out.push_back({axis, start, std::min(start, std::clamp<int64_t>(wrap(s.ends[i]), -1, dim - 1)), step});
    }
  }
  return out;
}

// The indices a negative-step range picks: start, start + step, ... while above end.
Tensor reversed_indices(const Range1d& r, torch::Device device) {
  return at::arange(r.start, r.end, r.step, at::TensorOptions().dtype(torch::kInt64).device(device));
}

}  // namespace

Tensor Slice::forward(const Tensors& in, bool) const {
  Tensor y = in.at(0);
  for (const auto& r : resolve(*this, y))
    y = r.step > 0 ? y.slice(r.axis, r.start, r.end, r.step) : y.index_select(r.axis, reversed_indices(r, y.device()));
  return y;
}

Tensors Slice::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  const auto ranges = resolve(*this, in.at(0));
  const bool views = std::all_of(ranges.begin(), ranges.end(), [](const Range1d& r) { return r.step > 0; });
  if (!views) return Layer::backward(in, Tensor(), g);  // x[::-1] and the like: rare, autograd's VJP
  Tensor full = at::zeros_like(in.at(0), g.options());
  Tensor view = full;
  for (const auto& r : ranges) view = view.slice(r.axis, r.start, r.end, r.step);
  view.copy_(g);
  return {full};
}

std::string Slice::describe() const { return "axes " + ints(axes) + " from " + ints(starts) + " to " + ints(ends); }

// ---- Gather ----

namespace {

int64_t positive_axis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// The flat indices, negative ones counted from the end of the axis.
Tensor flat_indices(const Tensor& indices, int64_t dim, torch::Device device) {
  Tensor i = indices.reshape({-1}).to(device);
  return at::where(i < 0, i + dim, i);
}

}  // namespace

Tensor Gather::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  const int64_t a = positive_axis(axis, x.dim());
  Tensor picked = x.index_select(a, flat_indices(indices, x.size(a), x.device()));
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + a);
  shape.insert(shape.end(), indices.sizes().begin(), indices.sizes().end());
  shape.insert(shape.end(), x.sizes().begin() + a + 1, x.sizes().end());
  return picked.reshape(shape);
}

Tensors Gather::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  const Tensor& x = in.at(0);
  const int64_t a = positive_axis(axis, x.dim());
  std::vector<int64_t> flat(x.sizes().begin(), x.sizes().end());
  flat[a] = indices.numel();
  return {at::zeros_like(x, g.options()).index_add_(a, flat_indices(indices, x.size(a), x.device()), g.reshape(flat))};
}

std::string Gather::describe() const {
  return "axis " + std::to_string(axis) + ", " + std::to_string(indices.numel()) + " indices";
}

// ---- Expand ----

Tensor Expand::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  return x.expand(at::infer_size(x.sizes(), shape));
}

Tensors Expand::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  return {unbroadcast(g, in.at(0).sizes())};
}

// ---- ParamExpand ----

ParamExpand::ParamExpand(std::string param_name, Tensor value, std::vector<int64_t> factor, std::vector<int64_t> off)
    : batch_factor(std::move(factor)), offset(std::move(off)) {
  params_ = {{std::move(param_name), std::move(value)}};
}

Tensor ParamExpand::forward(const Tensors& in, bool) const {
  const int64_t n = in.at(0).size(0);
  std::vector<int64_t> shape(offset.size());
  for (size_t i = 0; i < shape.size(); ++i) shape[i] = batch_factor[i] * n + offset[i];
  const Tensor& v = params_[0].value;
  return v.expand(at::infer_size(v.sizes(), shape));
}

Tensors ParamExpand::backward(const Tensors&, const Tensor&, const Tensor&) const { return {Tensor()}; }

std::string ParamExpand::describe() const { return params_[0].name + " " + ints(params_[0].value.sizes().vec()); }

// ---- LayerNorm ----

LayerNorm::LayerNorm(Tensor weight, Tensor bias, int64_t axis_, double eps_) : axis(axis_), eps(eps_) {
  params_ = {{"weight", std::move(weight)}};
  if (bias.defined()) params_.push_back({"bias", std::move(bias)});
}

std::vector<int64_t> LayerNorm::normalized_dims(int64_t rank) const {
  std::vector<int64_t> dims;
  for (int64_t d = positive_axis(axis, rank); d < rank; ++d) dims.push_back(d);
  return dims;
}

Tensor LayerNorm::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  const int64_t a = positive_axis(axis, x.dim());
  return at::layer_norm(x, x.sizes().slice(a), weight(), bias(), eps, /*cudnn_enable=*/true);
}

Tensor LayerNorm::inverse_std(const Tensor& x) const {
  return at::rsqrt(x.var(normalized_dims(x.dim()), /*unbiased=*/false, /*keepdim=*/true) + eps);
}

Tensors LayerNorm::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  // PyTorch's fused kernels: the forward again for the mean and 1/std, then the input gradient alone.
  // In the weights' dtype, as autocast runs the forward (core/precision.h: bf16 inputs, float32 norm).
  const Tensor x = in.at(0).to(weight().scalar_type());
  const auto shape = x.sizes().slice(positive_axis(axis, x.dim()));
  const auto stats = at::native_layer_norm(x, shape, weight(), bias(), eps);
  const Tensor grad = g.to(x.scalar_type()).contiguous();
  return {std::get<0>(at::native_layer_norm_backward(grad, x, shape, std::get<1>(stats), std::get<2>(stats), weight(),
                                                     bias(), {true, false, false}))};
}

std::string LayerNorm::describe() const {
  return "axis " + std::to_string(axis) + ", " + std::to_string(weight().numel()) + " features";
}

// ---- activations ----

Tensor Gelu::forward(const Tensors& in, bool) const { return at::gelu(in.at(0)); }

Tensors Gelu::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  return {at::gelu_backward(g, in.at(0))};
}

Tensor Erf::forward(const Tensors& in, bool) const { return at::erf(in.at(0)); }

Tensors Erf::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  const Tensor& x = in.at(0);
  return {g * (2.0 / std::sqrt(M_PI)) * at::exp(-x * x)};
}

Tensor Sqrt::forward(const Tensors& in, bool) const { return at::sqrt(in.at(0)); }

Tensors Sqrt::backward(const Tensors&, const Tensor& out, const Tensor& g) const { return {g * 0.5 / out}; }

Tensor HardSigmoid::forward(const Tensors& in, bool) const {
  return at::clamp(in.at(0) * alpha + beta, 0.0, 1.0);
}

Tensors HardSigmoid::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  const Tensor z = in.at(0) * alpha + beta;
  return {g * ((z > 0) & (z < 1)).to(g.scalar_type()) * alpha};
}

Tensor HardSwish::forward(const Tensors& in, bool) const { return at::hardswish(in.at(0)); }

Tensors HardSwish::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  return {at::hardswish_backward(g, in.at(0))};
}

}  // namespace sanity
