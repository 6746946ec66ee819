#include "attribution/relu_rules.h"

#include "core/error.h"
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

std::optional<int> non_rectifier_activation(const Graph& model) {
  for (int k = 1; k < model.size(); ++k) {
    const Node& n = model.node(k);
    const LayerKind kind = n.layer->kind();
    if (kind == LayerKind::Gelu || kind == LayerKind::HardSwish || kind == LayerKind::Erf) return k;
    // SiLU as exported: x * Sigmoid(x).
    if (kind == LayerKind::Mul && n.inputs.size() == 2)
      for (int j = 0; j < 2; ++j) {
        const Node& s = model.node(n.inputs[j]);
        if (s.layer->kind() == LayerKind::Sigmoid && s.inputs.size() == 1 && s.inputs[0] == n.inputs[1 - j]) return k;
      }
  }
  return std::nullopt;
}

RuleSet relu_rules(const Graph& model, ReluRule rule, const std::string& method) {
  if (const auto k = non_rectifier_activation(model)) {
    const Node& n = model.node(*k);
    const std::string what = n.layer->kind() == LayerKind::Mul ? "silu (x * sigmoid(x))" : std::string(kind_name(n.layer->kind()));
    throw UnsupportedError(method + ": node '" + n.name + "' is a " + what +
                           " activation; Guided Backprop and Deconvnet are defined for ReLU networks and sanity does "
                           "not guess a rule for other nonlinearities (Captum leaves them the plain gradient, silently); "
                           "use gradient, smoothgrad or an LRP preset (lrp_attn for transformers)");
  }
  std::shared_ptr<const BackwardRule> r;
  if (rule == ReluRule::Guided) r = std::make_shared<GuidedRelu>();
  else r = std::make_shared<DeconvRelu>();
  RuleSet rules(static_cast<size_t>(model.size()));
  for (int k = 0; k < model.size(); ++k)
    if (is_rectifier(*model.node(k).layer)) rules[k] = r;
  return rules;
}

}  // namespace sanity
