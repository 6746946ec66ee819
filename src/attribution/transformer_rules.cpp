#include "attribution/transformer_rules.h"

#include "models/layers.h"

namespace sanity {

Tensors LayerNormRule::backward(const BackwardCall& call) const {
  const auto& ln = static_cast<const LayerNorm&>(*call.graph.node(call.node).layer);
  const Tensor& x = call.inputs.at(0);
  const auto dims = ln.normalized_dims(x.dim());
  // J^T s for the LayerNorm linearized with 1/std constant: r (u - mean u), u = w s.
  const Tensor u = ln.weight() * (call.grad / stabilize(call.output, eps_));
  return {x * ln.inverse_std(x) * (u - u.mean(dims, /*keepdim=*/true))};
}

Tensors UniformRule::backward(const BackwardCall& call) const {
  const Layer& layer = *call.graph.node(call.node).layer;
  const auto& inputs = call.graph.node(call.node).inputs;
  std::vector<char> held(inputs.size(), 0);
  size_t free = inputs.size();
  if (hold_softmax_)
    for (size_t i = 0; i < inputs.size(); ++i)
      if (call.graph.node(inputs[i]).layer->kind() == LayerKind::Softmax) {
        held[i] = 1;
        --free;
      }
  Tensors back(inputs.size());
  if (free == 0) return back;
  // The epsilon rule through the product: x_i * (d out / d x_i)^T (R / stab(out)), shared by the
  // operands that are not held.
  const Tensor s = call.grad / stabilize(call.output, eps_);
  const Tensors g = layer.backward(call.inputs, call.output, s);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!held[i] && g[i].defined()) back[i] = call.inputs[i] * g[i] / static_cast<double>(free);
  return back;
}

void register_transformer_rules(Registry<RuleInfo>& r) {
  const auto eps = [](double fallback) { return number_option("eps", fallback, "stabilizer added to z with z's sign", 0); };
  auto node = [](std::shared_ptr<const BackwardRule> rule, std::vector<LayerKind> kinds) {
    return RuleChoice{RuleChoice::Kind::Node, nullptr, std::move(rule), std::move(kinds)};
  };
  r.add({{"layernorm", "LayerNorm with 1/std held constant, then the epsilon rule (CP-LRP; AttnLRP's identity rule)",
          {eps(1e-6)}},
         [node](const Spec& s) { return node(std::make_shared<LayerNormRule>(s.get_double("eps", 0)), {LayerKind::LayerNorm}); }});
  r.add({{"softmax", "AttnLRP's softmax rule: R_x = x (R - s sum R) (Achtibat et al. 2024)", {}},
         [node](const Spec&) { return node(std::make_shared<NormRule>(), {LayerKind::Softmax}); }});
  r.add({{"detach", "CP-LRP: attention probabilities held constant, no relevance into the softmax", {}},
         [node](const Spec&) { return node(std::make_shared<DetachRule>(), {LayerKind::Softmax}); }});
  r.add({{"uniform", "AttnLRP's uniform rule: a product of two computed tensors, each operand half", {eps(1e-6)}},
         [node](const Spec& s) {
           return node(std::make_shared<UniformRule>(s.get_double("eps", 0), false), {LayerKind::MatMul, LayerKind::Mul});
         }});
  r.add({{"cp_attention", "CP-LRP's A V: the softmax operand held constant, the other takes all", {eps(1e-6)}},
         [node](const Spec& s) {
           return node(std::make_shared<UniformRule>(s.get_double("eps", 0), true), {LayerKind::MatMul, LayerKind::Mul});
         }});
}

}  // namespace sanity
