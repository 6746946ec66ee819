#include "attribution/canonizers.h"

#include "models/layers.h"

namespace sanity {
namespace {

// [1, C, 1, ...] for broadcasting a per-channel vector against x.
Tensor per_channel(const Tensor& v, int64_t dim) {
  std::vector<int64_t> shape(static_cast<size_t>(dim), 1);
  shape[1] = -1;
  return v.view(shape);
}

LinearOp batchnorm_op(const BatchNorm& bn) {
  LinearOp op;
  op.apply = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    Tensor y = x * per_channel(w, x.dim());
    return b.defined() ? y + per_channel(b, x.dim()) : y;
  };
  op.transpose = [](const Tensor& g, const Tensor& w, at::IntArrayRef) { return g * per_channel(w, g.dim()); };
  op.weight = bn.scale();
  op.bias = bn.shift();
  return op;
}

}  // namespace

LinearOp affine_op(const AffineLayer& layer, Tensor weight, Tensor bias) {
  LinearOp op;
  op.apply = [&layer](const Tensor& x, const Tensor& w, const Tensor& b) { return layer.apply(x, w, b); };
  op.transpose = [&layer](const Tensor& g, const Tensor& w, at::IntArrayRef shape) {
    return layer.apply_transpose(g, w, shape);
  };
  op.weight = std::move(weight);
  op.bias = std::move(bias);
  return op;
}

Canonical canonize(const Graph& g) {
  torch::NoGradGuard no_grad;
  const size_t n = static_cast<size_t>(g.size());
  Canonical c{std::vector<std::optional<LinearOp>>(n), std::vector<int>(n, -1), std::vector<bool>(n, false)};
  std::vector<int> consumers(n, 0);
  for (const auto& node : g.nodes())
    for (int i : node.inputs) ++consumers[i];
  for (size_t k = 0; k < n; ++k) {
    const Node& node = g.node(static_cast<int>(k));
    if (const auto* a = dynamic_cast<const AffineLayer*>(node.layer.get())) {
      c.linear[k] = affine_op(*a, a->weight().detach(), a->bias().defined() ? a->bias().detach() : Tensor());
      c.affine[k] = true;
      continue;
    }
    const auto* bn = dynamic_cast<const BatchNorm*>(node.layer.get());
    if (!bn) continue;
    const int src = node.inputs.at(0);
    const bool foldable = c.affine[src] && consumers[src] == 1 && src != g.output();
    if (!foldable) {
      c.linear[k] = batchnorm_op(*bn);
      continue;
    }
    LinearOp& op = *c.linear[src];
    const Tensor s = bn->scale().detach(), t = bn->shift().detach();
    std::vector<int64_t> wshape(static_cast<size_t>(op.weight.dim()), 1);
    wshape[0] = -1;
    op.weight = op.weight * s.view(wshape);
    op.bias = (op.bias.defined() ? op.bias * s : torch::zeros_like(s)) + t;
    c.folded_into[k] = src;
  }
  return c;
}

}  // namespace sanity
