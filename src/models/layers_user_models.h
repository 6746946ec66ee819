#pragma once
// Layers that the models users bring export to, beyond the torchvision families: GroupNorm
// (InstanceNormalization), nn.Upsample / F.interpolate (Resize) and an elementwise torch.where on
// computed tensors (a comparison and a selection). Each has its own vector-Jacobian product.
// Included by layers.h.
#include "models/layer.h"

namespace sanity {

// y = (x - mean) / sqrt(var + eps) * scale[c] + bias[c], the statistics taken per image and channel
// over every dimension after the channel (ONNX InstanceNormalization). PyTorch's GroupNorm exports as
// this on [N, groups, -1] with unit scale and zero bias, followed by its own affine Mul and Add.
class InstanceNorm : public LayerOf<InstanceNorm, LayerKind::InstanceNorm> {
 public:
  InstanceNorm(Tensor scale, Tensor bias, double eps, bool trainable);
  Tensor forward(const Tensors& in, bool training = false) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  const Tensor& scale() const { return params_[0].value; }
  const Tensor& bias() const { return params_[1].value; }
  double eps;
};

// ONNX Resize in its nearest and linear modes, along any axes. Every output sample is one input
// sample (nearest) or a weighted pair (linear, per axis), so the layer is a sparse linear map: the
// forward picks and weighs (index_select), the transpose scatters back (index_add), with the indices
// and weights computed by ONNX's formulas for the input's size.
class Resize : public LayerOf<Resize, LayerKind::Resize> {
 public:
  enum class Mode { Nearest, Linear };
  // Per axis: a scale (output = floor(input * scale)) or a fixed size (> 0; scale then unused).
  struct Axis {
    int64_t axis;
    double scale;
    int64_t size;
  };
  Resize(Mode mode, std::string coordinates, std::string nearest, std::vector<Axis> axes);
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  Mode mode;
  std::string coordinates;  // coordinate_transformation_mode: half_pixel, asymmetric, align_corners, ...
  std::string nearest;      // nearest_mode: round_prefer_floor, round_prefer_ceil, floor, ceil
  std::vector<Axis> axes;
};

// An elementwise comparison of two computed tensors (Greater, Less, Equal, GreaterOrEqual,
// LessOrEqual), as 1.0 / 0.0 with NumPy broadcasting. Piecewise constant: no gradient flows through.
class Compare : public LayerOf<Compare, LayerKind::Compare> {
 public:
  explicit Compare(std::string op) : op(std::move(op)) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override { return op; }
  std::string op;  // the ONNX operator
};

// where(condition != 0, a, b) with broadcasting (ONNX Where; the condition is a Compare's 1.0 / 0.0).
// The gradient goes to the branch each element took; none to the condition.
class Where : public LayerOf<Where, LayerKind::Where> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

}  // namespace sanity
