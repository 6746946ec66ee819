#pragma once
// LRP rules (Montavon et al. 2019; definitions as Zennit's, see PROTOCOLS.md "Modified backprop").
// A rule maps the relevance R at a linear layer's output to its input by running the layer with
// modified inputs and parameters and taking the transpose (Zennit's BasicHook idea: input modifier,
// parameter modifier, stabilized division, transpose, reducer), without autograd.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "attribution/spec.h"
#include "models/backprop.h"

namespace sanity {

// A linear map z = apply(x, w, b) whose parameters a rule may modify, and its transpose W^T g.
// Conv and linear layers (with a following BatchNorm folded in, see canonizers.h) and standalone
// BatchNorm layers (a per-channel scale and shift) are all seen this way.
struct LinearOp {
  std::function<Tensor(const Tensor& x, const Tensor& w, const Tensor& b)> apply;
  std::function<Tensor(const Tensor& g, const Tensor& w, at::IntArrayRef input_shape)> transpose;
  Tensor weight, bias;  // bias may be undefined
};

// z + (sign(z) + (z == 0)) * eps: Zennit's stabilizer, so the division never meets 0.
Tensor stabilize(const Tensor& z, double eps = 1e-6);

class LrpRule {
 public:
  virtual ~LrpRule() = default;
  // Relevance at the input x of the layer, for relevance r at its output.
  virtual Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const = 0;
  // The canonical rule spec ("epsilon(eps=0.25)").
  virtual std::string str() const = 0;
};
using LrpRulePtr = std::shared_ptr<const LrpRule>;

// R_i = sum_j x_i w_ij / stab(z_j) R_j, bias included in z (LRP-0 is eps = 1e-6, "z").
LrpRulePtr make_epsilon_rule(double eps);
// Generalized gamma rule: weights w + gamma w+ for positive outputs, w + gamma w- for negative ones.
LrpRulePtr make_gamma_rule(double gamma);
// z+: positive contributions only, x+ w+ (+ b+) and x- w-; alpha1-beta0 for any input sign.
LrpRulePtr make_zplus_rule();
// alpha (positive contributions) - beta (negative contributions), alpha - beta = 1.
LrpRulePtr make_alpha_beta_rule(double alpha, double beta);
// w^2: R_i = sum_j w_ij^2 / sum_i' w_i'j^2 R_j (first layer, unbounded inputs).
LrpRulePtr make_wsquare_rule();
// flat: every input of a unit gets an equal share.
LrpRulePtr make_flat_rule();
// z^B (DTD, bounded input box [low, high]). Without bounds, each sample's own min and max of the
// layer's input are used (Sixt et al.'s choice for the input layer).
LrpRulePtr make_zbox_rule(std::optional<double> low, std::optional<double> high);

// Builds a rule from its spec: z, epsilon(eps), gamma(gamma), zplus, alpha_beta(alpha, beta), wsquare,
// flat, zbox(low, high). Throws InputError naming `where` and the valid rules. Returns null for the
// rules that are not linear-layer rules (norm, pass, gradient): see make_node_rule.
LrpRulePtr parse_lrp_rule(const MethodSpec& spec, const std::string& where);

// The backward rule of a node that is a linear map: binds an LRP rule to the node's (canonized) map.
class LinearRule : public BackwardRule {
 public:
  LinearRule(LrpRulePtr rule, LinearOp op) : rule_(std::move(rule)), op_(std::move(op)) {}
  Tensors backward(const BackwardCall& call) const override;

 private:
  LrpRulePtr rule_;
  LinearOp op_;
};

// Zennit's Norm rule for parameter-free linear layers (residual sums, average pools, constant
// arithmetic): R_k = x_k * J_k^T (R / stab(out)), so an Add splits R in proportion to each branch's
// contribution and the branches' shares sum to R (no doubled relevance, zennit#236).
class NormRule : public BackwardRule {
 public:
  Tensors backward(const BackwardCall& call) const override;
};

// Relevance passes unchanged (a BatchNorm folded into the layer before it).
class PassRule : public BackwardRule {
 public:
  Tensors backward(const BackwardCall& call) const override { return {call.grad}; }
};

}  // namespace sanity
