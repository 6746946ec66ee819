#include "attribution/relu_rules.h"

#include "models/layers.h"

namespace sanity {
namespace {

class GuidedRelu : public BackwardRule {
 public:
  // relu(true gradient): the forward mask (x > 0) and the sign of the signal (g > 0) together.
  Tensors backward(const BackwardCall& c) const override {
    const Layer& layer = *c.graph.node(c.node).layer;
    if (layer.kind() == LayerKind::ReLU) return {at::threshold_backward(c.grad.clamp_min(0), c.output, 0)};
    return {layer.backward(c.inputs, c.output, c.grad).at(0).clamp_min(0)};
  }
};

class DeconvRelu : public BackwardRule {
 public:
  // The rectifier applied to the signal itself: the forward pass is ignored (Zeiler & Fergus).
  Tensors backward(const BackwardCall& c) const override { return {c.grad.clamp_min(0)}; }
};

}  // namespace

bool is_rectifier(const Layer& layer) {
  if (layer.kind() == LayerKind::ReLU) return true;
  if (const auto* clip = dynamic_cast<const Clip*>(&layer)) return clip->lo && *clip->lo == 0.0;
  return false;
}

RuleSet relu_rules(const Graph& model, ReluRule rule) {
  std::shared_ptr<const BackwardRule> r;
  if (rule == ReluRule::Guided) r = std::make_shared<GuidedRelu>();
  else r = std::make_shared<DeconvRelu>();
  RuleSet rules(static_cast<size_t>(model.size()));
  for (int k = 0; k < model.size(); ++k)
    if (is_rectifier(*model.node(k).layer)) rules[k] = r;
  return rules;
}

}  // namespace sanity
