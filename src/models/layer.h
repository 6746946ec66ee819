#pragma once
// A layer: one node's operation in the layer graph. Every layer can run forward (autograd-friendly,
// so training is plain LibTorch autograd) and compute its own vector-Jacobian product, so that the
// backward sweep in backprop.h can replace any node's backward behaviour with a rule.
#include <torch/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sanity {

using torch::Tensor;
using Tensors = std::vector<Tensor>;

enum class LayerKind {
  Input,
  Conv,
  Linear,
  BatchNorm,
  ReLU,
  LeakyReLU,
  Clip,
  Sigmoid,
  Tanh,
  MaxPool,
  AvgPool,
  GlobalAvgPool,
  GlobalMaxPool,
  Flatten,
  Reshape,
  Transpose,
  Pad,
  Add,
  Mul,
  Concat,
  ConstArith,
  ReduceMean,
  Softmax,
  LogSoftmax,
  Identity,
  // Transformer and modern-CNN operators (ONNX import of every torchvision family).
  Sub,
  Div,
  MatMul,
  Slice,
  Gather,
  Expand,
  ParamExpand,
  LayerNorm,
  Gelu,
  Erf,
  Sqrt,
  HardSigmoid,
  HardSwish,
  // The models users bring (GroupNorm, Upsample, torch.where).
  InstanceNorm,
  Resize,
  Compare,
  Where,
};
// One past the last kind: for loops over every kind (rules files name kinds).
inline constexpr int kLayerKindCount = static_cast<int>(LayerKind::Where) + 1;

// The name used in model summaries and error messages ("conv", "relu", ...).
std::string_view kind_name(LayerKind kind);

// How a parameter was initialized when the model was built: "original initializer" randomization
// re-draws from the same distribution. Default means "unknown": the framework's default is used.
struct InitSpec {
  enum class Kind { Default, TruncatedNormal, Constant } kind = Kind::Default;
  double stddev = 0.0;  // TruncatedNormal: cut at 2 standard deviations, as TensorFlow does
  double value = 0.0;   // Constant
};

struct Param {
  std::string name;  // "weight", "bias", "running_mean", "running_var"
  Tensor value;
  bool trainable = true;  // running statistics are parameters but not trained
  InitSpec init;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual LayerKind kind() const = 0;
  virtual std::unique_ptr<Layer> clone() const = 0;  // deep copy, parameters included

  // Output for the given inputs. Uses only differentiable LibTorch ops on the parameters, so
  // training can call it under autograd. `training` switches BatchNorm to batch statistics.
  virtual Tensor forward(const Tensors& in, bool training = false) const = 0;

  // The true gradient: d(out)/d(in_i)^T grad_out for every input. The default recomputes the forward
  // under a local autograd graph; hot layers override it with the direct ATen backward kernels.
  virtual Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const;

  // One line of attributes for model summaries ("5x5 s1 p2, 1->32").
  virtual std::string describe() const { return {}; }

  std::vector<Param>& params() { return params_; }
  const std::vector<Param>& params() const { return params_; }
  Tensor* find_param(std::string_view name);
  const Tensor* find_param(std::string_view name) const;
  bool has_trainable_params() const;

 protected:
  std::vector<Param> params_;
};

// A layer that is affine in its single input: y = W (*) x + b, where (*) is a convolution or a
// matrix product. LRP rules and canonization need to run it with modified weights, and the transpose
// (W^T g) with modified weights: both are exposed here.
class AffineLayer : public Layer {
 public:
  virtual Tensor apply(const Tensor& x, const Tensor& weight, const Tensor& bias) const = 0;
  virtual Tensor apply_transpose(const Tensor& grad, const Tensor& weight, at::IntArrayRef input_shape) const = 0;

  Tensor forward(const Tensors& in, bool training = false) const override;
  Tensors backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const override;

  const Tensor& weight() const { return params_[0].value; }
  Tensor bias() const { return params_.size() > 1 ? params_[1].value : Tensor(); }
  // Number of inputs feeding one output unit (for initializers and the w^2 rule).
  virtual int64_t fan_in() const = 0;
};

// The boilerplate of a concrete layer: its kind and a deep copy of itself.
template <class Derived, LayerKind K, class Base = Layer>
class LayerOf : public Base {
 public:
  static constexpr LayerKind kKind = K;
  LayerKind kind() const override { return K; }
  std::unique_ptr<Layer> clone() const override {
    auto copy = std::make_unique<Derived>(static_cast<const Derived&>(*this));
    for (auto& p : copy->params()) p.value = p.value.detach().clone();
    return copy;
  }
};

}  // namespace sanity
