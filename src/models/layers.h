#pragma once
// The concrete layers of the graph. Attributes are public members: the ONNX importer sets them,
// the exporter reads them, rules read them.
#include <optional>

#include "models/layer.h"
#include "models/layers_transformer.h"
#include "models/layers_user_models.h"
#include "models/pool_memo.h"

namespace sanity {

// 2-D spatial padding as ONNX gives it: begin and end for each of (height, width).
struct Pads2d {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  bool symmetric() const { return top == bottom && left == right; }
  bool any() const { return top || left || bottom || right; }
};

class InputLayer : public LayerOf<InputLayer, LayerKind::Input> {
 public:
  Tensor forward(const Tensors& in, bool) const override { return in.at(0); }
  Tensors backward(const Tensors&, const Tensor&, const Tensor& g) const override { return {g}; }
};

class Conv2d : public LayerOf<Conv2d, LayerKind::Conv, AffineLayer> {
 public:
  // weight [out, in/groups, kh, kw]; bias [out] or undefined.
  Conv2d(Tensor weight, Tensor bias, std::vector<int64_t> stride, Pads2d pads, std::vector<int64_t> dilation,
         int64_t groups);
  Tensor apply(const Tensor& x, const Tensor& w, const Tensor& b) const override;
  Tensor apply_transpose(const Tensor& g, const Tensor& w, at::IntArrayRef input_shape) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  int64_t fan_in() const override;
  std::string describe() const override;

  std::vector<int64_t> stride, dilation;
  Pads2d pads;
  int64_t groups;
};

class Linear : public LayerOf<Linear, LayerKind::Linear, AffineLayer> {
 public:
  // weight [out, in]; bias [out] or undefined. Works on any [..., in] input.
  Linear(Tensor weight, Tensor bias);
  Tensor apply(const Tensor& x, const Tensor& w, const Tensor& b) const override;
  Tensor apply_transpose(const Tensor& g, const Tensor& w, at::IntArrayRef input_shape) const override;
  int64_t fan_in() const override;
  std::string describe() const override;
};

// y = (x - mean) / sqrt(var + eps) * weight + bias over channel dim 1.
class BatchNorm : public LayerOf<BatchNorm, LayerKind::BatchNorm> {
 public:
  BatchNorm(Tensor weight, Tensor bias, Tensor running_mean, Tensor running_var, double eps, double momentum = 0.1);
  Tensor forward(const Tensors& in, bool training = false) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  // The per-channel affine map y = scale * x + shift this layer applies in inference mode.
  Tensor scale() const;
  Tensor shift() const;

  double eps, momentum;
};

class ReLU : public LayerOf<ReLU, LayerKind::ReLU> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

class LeakyReLU : public LayerOf<LeakyReLU, LayerKind::LeakyReLU> {
 public:
  explicit LeakyReLU(double alpha) : alpha(alpha) {}
  Tensor forward(const Tensors& in, bool) const override;
  double alpha;
};

// ReLU6 and friends: min(max(x, lo), hi).
class Clip : public LayerOf<Clip, LayerKind::Clip> {
 public:
  Clip(std::optional<double> lo, std::optional<double> hi) : lo(lo), hi(hi) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  std::optional<double> lo, hi;
};

class Sigmoid : public LayerOf<Sigmoid, LayerKind::Sigmoid> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
};

class Tanh : public LayerOf<Tanh, LayerKind::Tanh> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
};

class MaxPool2d : public LayerOf<MaxPool2d, LayerKind::MaxPool> {
 public:
  MaxPool2d(std::vector<int64_t> kernel, std::vector<int64_t> stride, Pads2d pads, std::vector<int64_t> dilation,
            bool ceil_mode);
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  std::vector<int64_t> kernel, stride, dilation;
  Pads2d pads;
  bool ceil_mode;

 private:
  std::tuple<Tensor, Tensor> pool_with_indices(const Tensor& src) const;
  bool is_2x2(const Tensor& x) const;  // maxpool2x2 (pool2x2.h) applies
  PoolIndexMemo memo_;
};

class AvgPool2d : public LayerOf<AvgPool2d, LayerKind::AvgPool> {
 public:
  AvgPool2d(std::vector<int64_t> kernel, std::vector<int64_t> stride, Pads2d pads, bool ceil_mode,
            bool count_include_pad);
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  std::vector<int64_t> kernel, stride;
  Pads2d pads;
  bool ceil_mode, count_include_pad;
};

// Mean over all spatial positions, keeping [N, C, 1, 1].
class GlobalAvgPool : public LayerOf<GlobalAvgPool, LayerKind::GlobalAvgPool> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

class GlobalMaxPool : public LayerOf<GlobalMaxPool, LayerKind::GlobalMaxPool> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
};

// [d0, ..., dk-1, dk, ...] -> [d0*...*dk-1, dk*...]; axis 1 keeps the batch.
class Flatten : public LayerOf<Flatten, LayerKind::Flatten> {
 public:
  explicit Flatten(int64_t axis = 1) : axis(axis) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  int64_t axis;
};

// ONNX Reshape semantics: 0 copies the input dimension, -1 is inferred. If batch_first is set the
// first entry is replaced by the runtime batch size (exports often hard-code the export batch).
class Reshape : public LayerOf<Reshape, LayerKind::Reshape> {
 public:
  Reshape(std::vector<int64_t> shape, bool batch_first) : shape(std::move(shape)), batch_first(batch_first) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  std::vector<int64_t> shape;
  bool batch_first;
};

// Any permutation, the batch dimension included (attention moves it).
class Transpose : public LayerOf<Transpose, LayerKind::Transpose> {
 public:
  explicit Transpose(std::vector<int64_t> perm) : perm(std::move(perm)) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::vector<int64_t> perm;
};

// Constant padding of the last dimensions; pads in ONNX order (all begins, then all ends).
class Pad : public LayerOf<Pad, LayerKind::Pad> {
 public:
  Pad(std::vector<int64_t> pads, double value) : pads(std::move(pads)), value(value) {}
  Tensor forward(const Tensors& in, bool) const override;
  std::vector<int64_t> pads;
  double value;
};

// Sum of two (broadcastable) tensors: residual connections.
class Add : public LayerOf<Add, LayerKind::Add> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

// Elementwise product of two tensors (squeeze-and-excitation gates, SiLU's x * sigmoid(x)).
class Mul : public LayerOf<Mul, LayerKind::Mul> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

// Difference and quotient of two computed (broadcastable) tensors.
class Sub : public LayerOf<Sub, LayerKind::Sub> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

class Div : public LayerOf<Div, LayerKind::Div> {
 public:
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
};

class Concat : public LayerOf<Concat, LayerKind::Concat> {
 public:
  explicit Concat(int64_t axis) : axis(axis) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  int64_t axis;
};

// x (op) constant or constant (op) x, for op in + - * / and x^constant: normalization folded into a
// model, a layer scale, a position embedding. The constant is the layer's one parameter, "constant":
// trainable when it is one of the model's own parameters (an ONNX initializer named like
// "encoder.pos_embedding"), so that randomization re-draws it with the layer it belongs to; fixed
// otherwise (folded normalization, the 1/sqrt(d) of attention).
class ConstArith : public LayerOf<ConstArith, LayerKind::ConstArith> {
 public:
  enum class Op { Add, Sub, Mul, Div, Pow };
  ConstArith(Op op, Tensor constant, bool constant_first, bool trainable = false);
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  std::string describe() const override;
  const Tensor& constant() const { return params_[0].value; }
  Op op;
  bool constant_first;
};

class ReduceMean : public LayerOf<ReduceMean, LayerKind::ReduceMean> {
 public:
  ReduceMean(std::vector<int64_t> axes, bool keepdims) : axes(std::move(axes)), keepdims(keepdims) {}
  Tensor forward(const Tensors& in, bool) const override;
  std::vector<int64_t> axes;
  bool keepdims;
};

class Softmax : public LayerOf<Softmax, LayerKind::Softmax> {
 public:
  explicit Softmax(int64_t axis = -1) : axis(axis) {}
  Tensor forward(const Tensors& in, bool) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;
  int64_t axis;
};

class LogSoftmax : public LayerOf<LogSoftmax, LayerKind::LogSoftmax> {
 public:
  explicit LogSoftmax(int64_t axis = -1) : axis(axis) {}
  Tensor forward(const Tensors& in, bool) const override;
  int64_t axis;
};

// Dropout at inference, and ONNX Identity.
class Identity : public LayerOf<Identity, LayerKind::Identity> {
 public:
  Tensor forward(const Tensors& in, bool) const override { return in.at(0); }
  Tensors backward(const Tensors&, const Tensor&, const Tensor& g) const override { return {g}; }
};

}  // namespace sanity
