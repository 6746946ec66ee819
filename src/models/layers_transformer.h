#pragma once
// Layers of transformers and modern CNNs (ViT, Swin, ConvNeXt, EfficientNet, MobileNetV3, ShuffleNet):
// products of two computed tensors, indexing, layer normalization and the smooth activations. Each
// has its own vector-Jacobian product; LRP rules for them are in attribution/transformer_rules.h.
// Included by layers.h.
#include <optional>

#include "models/layer.h"

namespace sanity {

// Batched matrix product of two computed tensors (attention: Q K^T and A V), with NumPy broadcasting
// of the leading dimensions as ONNX MatMul defines it.
class MatMul : public LayerOf<MatMul, LayerKind::MatMul> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

// x[..., start:end:step, ...] on the given axes. Bounds are clamped as ONNX clamps them; negative
// starts and ends count from the end; a negative step walks backwards (x[::-1]).
class Slice : public LayerOf<Slice, LayerKind::Slice> {
 public:
  Slice(std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes, std::vector<int64_t> steps)
      : starts(std::move(starts)), ends(std::move(ends)), axes(std::move(axes)), steps(std::move(steps)) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  std::vector<int64_t> starts, ends, axes, steps;
};

// ONNX Gather with constant indices: out = x.take(indices, axis); a 0-d index drops the axis (the
// class token of a ViT: x[:, 0]).
class Gather : public LayerOf<Gather, LayerKind::Gather> {
 public:
  Gather(int64_t axis, Tensor indices) : axis(axis), indices(std::move(indices)) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  int64_t axis;
  Tensor indices;  // int64, any rank
};

// ONNX Expand of a computed tensor: broadcast to `shape` (entries of 1 keep the input's size).
class Expand : public LayerOf<Expand, LayerKind::Expand> {
 public:
  explicit Expand(std::vector<int64_t> shape) : shape(std::move(shape)) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::vector<int64_t> shape;
};

// A parameter broadcast to a shape that depends on the batch size N (a ViT's class token expanded to
// [N, 1, C]). Entry i of the shape is batch_factor[i] * N + offset[i]; the layer's input is the model
// input, read for N only, so no signal flows back to it.
class ParamExpand : public LayerOf<ParamExpand, LayerKind::ParamExpand> {
 public:
  ParamExpand(std::string param_name, Tensor value, std::vector<int64_t> batch_factor, std::vector<int64_t> offset);
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  std::vector<int64_t> batch_factor, offset;
};

// y = (x - mean) / sqrt(var + eps) * weight + bias over the dimensions from `axis` to the last (ONNX
// LayerNormalization; the decomposed form of opset < 17 exports is fused into it at import).
class LayerNorm : public LayerOf<LayerNorm, LayerKind::LayerNorm> {
 public:
  LayerNorm(Tensor weight, Tensor bias, int64_t axis, double eps);
  Tensor forward(const Tensors& in, bool training = false) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  // The normalized dimensions of an input of rank `rank` and 1 / sqrt(var + eps) of x over them,
  // shaped to broadcast against x (LRP's LayerNorm rules hold it constant).
  std::vector<int64_t> normalized_dims(int64_t rank) const;
  Tensor inverse_std(const Tensor& x) const;
  const Tensor& weight() const { return params_[0].value; }
  Tensor bias() const { return params_.size() > 1 ? params_[1].value : Tensor(); }
  int64_t axis;
  double eps;
};

// GELU, exact (erf) form: x * Phi(x). The erf pattern of older exports is fused into it at import.
class Gelu : public LayerOf<Gelu, LayerKind::Gelu> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

class Erf : public LayerOf<Erf, LayerKind::Erf> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

class Sqrt : public LayerOf<Sqrt, LayerKind::Sqrt> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

// max(0, min(1, alpha x + beta)): MobileNetV3's gates (alpha 1/6, beta 1/2 as PyTorch exports it).
class HardSigmoid : public LayerOf<HardSigmoid, LayerKind::HardSigmoid> {
 public:
  HardSigmoid(double alpha, double beta) : alpha(alpha), beta(beta) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  double alpha, beta;
};

// x * HardSigmoid(x) with alpha 1/6, beta 1/2 (MobileNetV3's activation).
class HardSwish : public LayerOf<HardSwish, LayerKind::HardSwish> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

}  // namespace sanity
