#pragma once
// LRP rules (Montavon et al. 2019; definitions as Zennit's, see docs/DEFINITIONS.md
// "Modified backprop"), each a small declaration in the shape Zennit's BasicHook made standard: the affine layer is run
// on modified inputs with modified parameters (terms), the relevance at the output is divided by
// the stabilized sum of a group's outputs, sent back through the transposed layer with the same
// parameters, and multiplied by the modified inputs (reducer). No autograd.
//
//   epsilon  one group {x, w, b}                       R = x * W^T (R_out / stab(z, eps))
//   z+       one group {x+, w+, b+} + {x-, w-}
//   gamma    z > 0: {x+, w + g w+, b + g b+} + {x-, w + g w-};  z < 0: {x+, w + g w-, b + g b-} + {x-, w + g w+}
//   zbox     one group {x, w, b} - {l, w+, b+} - {h, w-, b-}
//   ...      (lrp_rules.cpp declares each in a few lines; rules take options through the registry)
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/registry.h"
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

// The epsilon of the epsilon rule and of the presets that use it (Sixt et al.'s and our default).
inline constexpr double kLrpEpsilon = 0.25;

// One declared rule. Inputs and parameters are modified per term; a term's bias goes through the
// same parameter modifier, or is left out (the negative-input terms, as Zennit's zero_bias).
struct LrpRule {
  enum class Input { All, Positive, Negative, Ones, Low, High };
  struct Param {
    enum class Kind { Same, Positive, Negative, GammaPositive, GammaNegative, Square, Ones } kind = Kind::Same;
    double gamma = 0;  // GammaPositive: w + gamma w+; GammaNegative: w + gamma w-
  };
  struct Term {
    Input input = Input::All;
    Param param;
    bool bias = true;
    bool subtract = false;  // zbox: the bound terms are subtracted
  };
  struct Group {
    std::vector<Term> terms;
    enum class Outputs { All, Positive, Negative } outputs = Outputs::All;  // gamma splits by sign of z
    double coefficient = 1;  // alpha-beta: alpha and -beta
  };
  std::vector<Group> groups;
  // Reducer: sum over groups of coefficient * sum_t in_t * W_t^T s_g (ByGroup, Zennit's alpha-beta),
  // or per modified input in * sum over every (group, term) with that input (ByInput, gamma).
  enum class Reduce { ByGroup, ByInput } reduce = Reduce::ByGroup;
  double eps = 1e-6;                    // stabilizer
  std::optional<double> low, high;      // zbox bounds; none: each sample's own min / max

  // Relevance at the input x of the layer, for relevance r at its output. Terms of the negative
  // input part are skipped when x has no negative entry (after a ReLU): they would add zeros.
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const;
};

// What a rule spec names: a declared linear-layer rule, one of the node rules below, or a rule of
// its own for certain layer kinds (the transformer rules, transformer_rules.h).
struct RuleChoice {
  enum class Kind { Linear, Norm, Pass, Gradient, Node } kind = Kind::Gradient;
  std::shared_ptr<const LrpRule> linear;     // Kind::Linear
  std::shared_ptr<const BackwardRule> node;  // Kind::Node
  std::vector<LayerKind> layers;             // Kind::Node: the layer kinds it applies to
};

struct RuleInfo : RegistryEntry {
  std::function<RuleChoice(const Spec& resolved)> make;
};

// z, epsilon, gamma, zplus, alpha_beta, wsquare, flat, zbox, norm, pass, gradient; and the
// transformer rules layernorm, softmax, detach, uniform, cp_attention (transformer_rules.h).
class RuleRegistry : public Registry<RuleInfo> {
 public:
  static const RuleRegistry& instance();
  // `where` names the caller in errors ("rules file r.json: entry 2").
  RuleChoice make(const Spec& spec, const std::string& where) const;
  RuleChoice make(const std::string& text, const std::string& where) const;

 private:
  RuleRegistry();
};

void register_transformer_rules(Registry<RuleInfo>& r);

// The backward rule of a node that is a linear map: binds an LRP rule to the node's (canonized) map.
class LinearRule : public BackwardRule {
 public:
  LinearRule(std::shared_ptr<const LrpRule> rule, LinearOp op) : rule_(std::move(rule)), op_(std::move(op)) {}
  Tensors backward(const BackwardCall& call) const override;

 private:
  std::shared_ptr<const LrpRule> rule_;
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
