// Conv2d, Linear and BatchNorm: the layers with weights.
#include <sstream>

#include "core/runtime.h"
#include "models/layers.h"

namespace sanity {
namespace {

std::vector<Param> weight_and_bias(Tensor w, Tensor b) {
  std::vector<Param> p{{"weight", std::move(w)}};
  if (b.defined()) p.push_back({"bias", std::move(b)});
  return p;
}

}  // namespace

Conv2d::Conv2d(Tensor w, Tensor b, std::vector<int64_t> stride_, Pads2d pads_, std::vector<int64_t> dilation_,
               int64_t groups_)
    : stride(std::move(stride_)), dilation(std::move(dilation_)), pads(pads_), groups(groups_) {
  params_ = weight_and_bias(std::move(w), std::move(b));
}

Tensor Conv2d::apply(const Tensor& x, const Tensor& w, const Tensor& b) const {
  if (pads.symmetric()) return at::conv2d(x, w, b, stride, at::IntArrayRef({pads.top, pads.left}), dilation, groups);
  // Asymmetric (SAME_UPPER-style) padding: pad explicitly, then convolve without padding.
  Tensor padded = at::constant_pad_nd(x, {pads.left, pads.right, pads.top, pads.bottom}, 0.0);
  return at::conv2d(padded, w, b, stride, at::IntArrayRef({0, 0}), dilation, groups);
}

Tensor Conv2d::apply_transpose(const Tensor& g, const Tensor& w, at::IntArrayRef input_shape) const {
  // W^T g is the convolution's gradient with respect to its input. Only the input's shape is read.
  std::vector<int64_t> in_shape(input_shape.begin(), input_shape.end());
  std::vector<int64_t> pad{pads.top, pads.left};
  if (!pads.symmetric()) {
    in_shape[2] += pads.top + pads.bottom;  // the explicitly padded input of apply()
    in_shape[3] += pads.left + pads.right;
    pad = {0, 0};
  }
  // The weights in the signal's dtype, as autocast casts them for the forward (core/precision.h):
  // convolution_backward refuses mixed dtypes outside oneDNN. A no-op in float32.
  const Tensor wt = w.scalar_type() == g.scalar_type() ? w : w.to(g.scalar_type());
  Tensor r;
  if (groups == 1 && w.size(1) <= 4 && cpu_fast_path(g)) {
    // A first layer (1-4 input channels): conv_transpose2d is 2.5-3x faster than oneDNN's backward
    // here (MNIST CNN conv1, ResNet-50 and VGG-16 stems); with more input channels it is 1.3-6x
    // slower. output_padding restores the rows and columns the forward's stride dropped.
    std::vector<int64_t> extra(2);
    for (int d = 0; d < 2; ++d)
      extra[d] = in_shape[2 + d] -
                 ((g.size(2 + d) - 1) * stride[d] - 2 * pad[d] + dilation[d] * (w.size(2 + d) - 1) + 1);
    r = at::conv_transpose2d(g, wt, {}, stride, pad, extra, 1, dilation);
  } else {
    // convolution_backward is the kernel PyTorch's autograd uses (oneDNN on CPU). An uninitialized
    // tensor stands in for the input, whose shape is all it reads.
    r = std::get<0>(at::convolution_backward(g, at::empty(in_shape, g.options()), wt, c10::nullopt, stride, pad,
                                             dilation, /*transposed=*/false, {0, 0}, groups, {true, false, false}));
  }
  if (!pads.symmetric()) r = r.narrow(2, pads.top, input_shape[2]).narrow(3, pads.left, input_shape[3]);
  return r;
}

Tensors Conv2d::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {apply_transpose(grad_out, weight(), in.at(0).sizes())};
}

int64_t Conv2d::fan_in() const { return weight().size(1) * weight().size(2) * weight().size(3); }

std::string Conv2d::describe() const {
  std::ostringstream s;
  s << weight().size(2) << "x" << weight().size(3) << " s" << stride[0] << " p" << pads.top << ", "
    << weight().size(1) * groups << "->" << weight().size(0);
  if (groups > 1) s << " g" << groups;
  return s.str();
}

Linear::Linear(Tensor w, Tensor b) { params_ = weight_and_bias(std::move(w), std::move(b)); }

Tensor Linear::apply(const Tensor& x, const Tensor& w, const Tensor& b) const { return at::linear(x, w, b); }

Tensor Linear::apply_transpose(const Tensor& g, const Tensor& w, at::IntArrayRef) const { return at::matmul(g, w); }

int64_t Linear::fan_in() const { return weight().size(1); }

std::string Linear::describe() const {
  return std::to_string(weight().size(1)) + "->" + std::to_string(weight().size(0));
}

BatchNorm::BatchNorm(Tensor w, Tensor b, Tensor mean, Tensor var, double eps_, double momentum_)
    : eps(eps_), momentum(momentum_) {
  params_ = {{"weight", std::move(w)},
             {"bias", std::move(b)},
             {"running_mean", std::move(mean), false},
             {"running_var", std::move(var), false}};
}

Tensor BatchNorm::forward(const Tensors& in, bool training) const {
  return at::batch_norm(in.at(0), params_[0].value, params_[1].value, params_[2].value, params_[3].value, training,
                        momentum, eps, /*cudnn_enabled=*/true);
}

Tensor BatchNorm::scale() const { return params_[0].value / at::sqrt(params_[3].value + eps); }

Tensor BatchNorm::shift() const { return params_[1].value - params_[2].value * scale(); }

Tensors BatchNorm::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  std::vector<int64_t> shape(in.at(0).dim(), 1);
  shape[1] = -1;
  return {grad_out * scale().view(shape)};
}

std::string BatchNorm::describe() const { return std::to_string(params_[0].value.size(0)) + " channels"; }

}  // namespace sanity
