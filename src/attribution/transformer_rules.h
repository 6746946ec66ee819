#pragma once
// LRP rules for transformers, in relevance form (the signal between nodes is relevance, as for every
// rule of lrp_rules.h), named as the papers name them:
//
//   layernorm     LayerNorm with 1/std held constant (Ali et al. 2022's CP-LRP; AttnLRP's identity rule
//                 on the normalization): the layer is then linear, y = w (x - mean x) r + b, and the
//                 epsilon rule applies to it: R_x = x * J^T (R / stab(y)), J = diag(w r) (I - 11^T / D).
//                 The bias b absorbs its share.
//   softmax       AttnLRP's softmax rule (Achtibat et al. 2024, Prop. 3.1): R_x = x * (R - s sum R),
//                 which is the norm rule (Gradient x Input) on the softmax. Not conservative: the
//                 linearization's bias term absorbs x . s sum R.
//   detach        CP-LRP: the attention probabilities are constants; no relevance flows into the softmax.
//   uniform       AttnLRP's uniform rule for the product of two computed tensors (A V and Q K^T, gates):
//                 the epsilon rule through the product, each operand taking half.
//   cp_attention  CP-LRP's product A V with the probabilities A held constant: the operand produced by a
//                 softmax gets none, the other all (the product is linear in it).
// GELU and the other smooth activations take `pass` (AttnLRP's identity rule: R_in = R_out).
// Conservation: CP-LRP conserves relevance up to what biases, the position embedding and the class
// token absorb (and the stabilizer); AttnLRP also loses (or gains) the softmax rule's bias term.
#include "attribution/lrp_rules.h"

namespace sanity {

class LayerNormRule : public BackwardRule {
 public:
  explicit LayerNormRule(double eps) : eps_(eps) {}
  Tensors backward(const BackwardCall& call) const override;

 private:
  double eps_;
};

class UniformRule : public BackwardRule {
 public:
  // hold_softmax: CP-LRP's cp_attention, operands produced by a Softmax node get no relevance.
  UniformRule(double eps, bool hold_softmax) : eps_(eps), hold_softmax_(hold_softmax) {}
  Tensors backward(const BackwardCall& call) const override;

 private:
  double eps_;
  bool hold_softmax_;
};

class DetachRule : public BackwardRule {
 public:
  Tensors backward(const BackwardCall& call) const override { return Tensors(call.inputs.size()); }
};

}  // namespace sanity
