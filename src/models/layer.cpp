#include "models/layer.h"

#include <torch/autograd.h>

namespace sanity {

std::string_view kind_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::Input: return "input";
    case LayerKind::Conv: return "conv";
    case LayerKind::Linear: return "linear";
    case LayerKind::BatchNorm: return "batchnorm";
    case LayerKind::ReLU: return "relu";
    case LayerKind::LeakyReLU: return "leaky_relu";
    case LayerKind::Clip: return "clip";
    case LayerKind::Sigmoid: return "sigmoid";
    case LayerKind::Tanh: return "tanh";
    case LayerKind::MaxPool: return "maxpool";
    case LayerKind::AvgPool: return "avgpool";
    case LayerKind::GlobalAvgPool: return "global_avgpool";
    case LayerKind::GlobalMaxPool: return "global_maxpool";
    case LayerKind::Flatten: return "flatten";
    case LayerKind::Reshape: return "reshape";
    case LayerKind::Transpose: return "transpose";
    case LayerKind::Pad: return "pad";
    case LayerKind::Add: return "add";
    case LayerKind::Mul: return "mul";
    case LayerKind::Concat: return "concat";
    case LayerKind::ConstArith: return "const_arith";
    case LayerKind::ReduceMean: return "reduce_mean";
    case LayerKind::Softmax: return "softmax";
    case LayerKind::LogSoftmax: return "log_softmax";
    case LayerKind::Identity: return "identity";
    case LayerKind::Sub: return "sub";
    case LayerKind::Div: return "div";
    case LayerKind::MatMul: return "matmul";
    case LayerKind::Slice: return "slice";
    case LayerKind::Gather: return "gather";
    case LayerKind::Expand: return "expand";
    case LayerKind::ParamExpand: return "param_expand";
    case LayerKind::LayerNorm: return "layernorm";
    case LayerKind::Gelu: return "gelu";
    case LayerKind::Erf: return "erf";
    case LayerKind::Sqrt: return "sqrt";
    case LayerKind::HardSigmoid: return "hard_sigmoid";
    case LayerKind::HardSwish: return "hard_swish";
    case LayerKind::InstanceNorm: return "instancenorm";
    case LayerKind::Resize: return "resize";
    case LayerKind::Compare: return "compare";
    case LayerKind::Where: return "where";
  }
  return "?";
}

Tensors Layer::backward(const Tensors& in, const Tensor& out, const Tensor& grad_out) const {
  // Generic vector-Jacobian product: rerun this layer on detached copies of the inputs.
  torch::AutoGradMode enable(true);
  Tensors leaves;
  leaves.reserve(in.size());
  for (const auto& t : in) leaves.push_back(t.detach().requires_grad_(t.is_floating_point()));
  Tensor y = forward(leaves, false);
  Tensors wrt;
  for (const auto& l : leaves)
    if (l.requires_grad()) wrt.push_back(l);
  auto grads = torch::autograd::grad({y}, wrt, {grad_out}, /*retain_graph=*/false, /*create_graph=*/false,
                                     /*allow_unused=*/true);
  Tensors result;
  size_t k = 0;
  for (size_t i = 0; i < leaves.size(); ++i) {
    Tensor g = leaves[i].requires_grad() ? grads[k++] : Tensor();
    if (leaves[i].requires_grad() && !g.defined()) g = torch::zeros_like(in[i]);
    result.push_back(g);
  }
  return result;
}

Tensor* Layer::find_param(std::string_view name) {
  for (auto& p : params_)
    if (p.name == name) return &p.value;
  return nullptr;
}

const Tensor* Layer::find_param(std::string_view name) const {
  for (const auto& p : params_)
    if (p.name == name) return &p.value;
  return nullptr;
}

bool Layer::has_trainable_params() const {
  return std::any_of(params_.begin(), params_.end(), [](const Param& p) { return p.trainable; });
}

Tensor AffineLayer::forward(const Tensors& in, bool) const { return apply(in.at(0), weight(), bias()); }

Tensors AffineLayer::backward(const Tensors& in, const Tensor&, const Tensor& grad_out) const {
  return {apply_transpose(grad_out, weight(), in.at(0).sizes())};
}

}  // namespace sanity
