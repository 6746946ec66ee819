// Max, average and global pooling.
#include <limits>
#include <sstream>

#include "core/runtime.h"
#include "models/layers.h"
#include "models/pool2x2.h"

namespace sanity {
namespace {

// Asymmetric ONNX pads are applied explicitly before a pool with no padding of its own.
Tensor pad_explicit(const Tensor& x, const Pads2d& p, double value) {
  return at::constant_pad_nd(x, {p.left, p.right, p.top, p.bottom}, value);
}

std::vector<int64_t> sym_pads(const Pads2d& p) {
  return p.symmetric() ? std::vector<int64_t>{p.top, p.left} : std::vector<int64_t>{0, 0};
}

Tensor unpad(const Tensor& g, const Pads2d& p, const Tensor& x) {
  if (p.symmetric()) return g;
  return g.narrow(2, p.top, x.size(2)).narrow(3, p.left, x.size(3));
}

std::string describe_pool(const std::vector<int64_t>& k, const std::vector<int64_t>& s, const Pads2d& p) {
  std::ostringstream o;
  o << k[0] << "x" << k[1] << " s" << s[0] << " p" << p.top;
  return o.str();
}

}  // namespace

MaxPool2d::MaxPool2d(std::vector<int64_t> k, std::vector<int64_t> s, Pads2d p, std::vector<int64_t> d, bool ceil)
    : kernel(std::move(k)), stride(std::move(s)), dilation(std::move(d)), pads(p), ceil_mode(ceil) {}

std::tuple<Tensor, Tensor> MaxPool2d::pool_with_indices(const Tensor& src) const {
  // LibTorch 1.13's CPU kernel for NCHW pools each plane with scalar code; its channels-last kernel
  // vectorizes over channels and, conversions included, is 2.4-3x faster on the MNIST CNN's pools
  // (about equal on ResNet-50's stem). Both take the first maximum of a window: same indices.
  if (cpu_fast_path(src) && src.dim() == 4 && src.size(1) > 1 && src.is_contiguous()) {
    auto [y, idx] = at::max_pool2d_with_indices(src.contiguous(at::MemoryFormat::ChannelsLast), kernel, stride,
                                                sym_pads(pads), dilation, ceil_mode);
    return {y.contiguous(), idx.contiguous()};
  }
  return at::max_pool2d_with_indices(src, kernel, stride, sym_pads(pads), dilation, ceil_mode);
}

bool MaxPool2d::is_2x2(const Tensor& x) const {
  return !pads.any() && is_pool2x2(x, kernel, stride, dilation, ceil_mode);
}

Tensor MaxPool2d::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  Tensor src = pads.symmetric() ? x : pad_explicit(x, pads, -std::numeric_limits<double>::infinity());
  // Under autograd (training) the graph keeps its own indices.
  if (at::GradMode::is_enabled() && x.requires_grad())
    return is_2x2(x) ? maxpool2x2_autograd(x)
                     : at::max_pool2d(src, kernel, stride, sym_pads(pads), dilation, ceil_mode);
  // The memo holds maxpool2x2's window winners (uint8) or LibTorch's indices (int64): the same test
  // picks the same kind for the same input in backward().
  auto [y, idx] = is_2x2(x) ? maxpool2x2(x) : pool_with_indices(src);
  memo_.remember(x, idx);
  return y;
}

Tensors MaxPool2d::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  // Winner takes all: the gradient goes to the argmax of each window.
  const Tensor& x = in.at(0);
  if (is_2x2(x) && grad_out.scalar_type() == torch::kFloat32 && cpu_fast_path(grad_out)) {
    Tensor winner = memo_.recall(x);
    if (!winner.defined()) winner = std::get<1>(maxpool2x2(x));
    return {maxpool2x2_backward(grad_out, winner, x.sizes())};
  }
  Tensor src = pads.symmetric() ? x : pad_explicit(x, pads, -std::numeric_limits<double>::infinity());
  Tensor idx = memo_.recall(x);
  if (!idx.defined() || idx.scalar_type() != torch::kInt64) idx = std::get<1>(pool_with_indices(src));
  Tensor g = at::max_pool2d_with_indices_backward(grad_out.contiguous(), src, kernel, stride, sym_pads(pads), dilation,
                                                  ceil_mode, idx);
  return {unpad(g, pads, x)};
}

std::string MaxPool2d::describe() const { return describe_pool(kernel, stride, pads); }

AvgPool2d::AvgPool2d(std::vector<int64_t> k, std::vector<int64_t> s, Pads2d p, bool ceil, bool include_pad)
    : kernel(std::move(k)), stride(std::move(s)), pads(p), ceil_mode(ceil), count_include_pad(include_pad) {}

Tensor AvgPool2d::forward(const Tensors& in, bool) const {
  const Tensor& x = in.at(0);
  Tensor src = pads.symmetric() ? x : pad_explicit(x, pads, 0.0);
  return at::avg_pool2d(src, kernel, stride, sym_pads(pads), ceil_mode, count_include_pad);
}

Tensors AvgPool2d::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  const Tensor& x = in.at(0);
  Tensor src = pads.symmetric() ? x : pad_explicit(x, pads, 0.0);
  Tensor g = at::avg_pool2d_backward(grad_out, src, kernel, stride, sym_pads(pads), ceil_mode, count_include_pad,
                                     c10::nullopt);
  return {unpad(g, pads, x)};
}

std::string AvgPool2d::describe() const { return describe_pool(kernel, stride, pads); }

Tensor GlobalAvgPool::forward(const Tensors& in, bool) const { return in.at(0).mean({2, 3}, /*keepdim=*/true); }

Tensors GlobalAvgPool::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  const Tensor& x = in.at(0);
  return {(grad_out / double(x.size(2) * x.size(3))).expand_as(x).contiguous()};
}

Tensor GlobalMaxPool::forward(const Tensors& in, bool) const { return in.at(0).amax({2, 3}, /*keepdim=*/true); }

}  // namespace sanity
