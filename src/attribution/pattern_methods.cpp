// PatternNet and PatternAttribution (Kindermans et al. 2018): the gradient sweep with every conv and
// linear layer's weight replaced by its pattern a (PatternNet) or by w * a (PatternAttribution);
// ReLUs keep their forward mask, max pooling its winner. Patterns come from pattern.h.
#include "attribution/backprop_method.h"
#include "attribution/canonizers.h"
#include "attribution/modified_backprop.h"
#include "attribution/pattern.h"
#include "core/error.h"

namespace sanity {
namespace {

class PatternRule : public BackwardRule {
 public:
  PatternRule(LinearOp op, Tensor weight) : op_(std::move(op)), weight_(std::move(weight)) {}
  Tensors backward(const BackwardCall& call) const override {
    return {op_.transpose(call.grad, weight_, call.inputs.at(0).sizes())};
  }

 private:
  LinearOp op_;
  Tensor weight_;
};

class PatternMethod : public BackpropMethod {
 public:
  PatternMethod(MethodSpec spec, bool attribution, PatternFit fit)
      : spec_(std::move(spec)), attribution_(attribution), fit_(fit) {}
  MethodSpec spec() const override { return spec_; }
  SeedScale seed_scale() const override { return attribution_ ? SeedScale::Logit : SeedScale::One; }
  // PatternNet estimates the signal (a direction in input space); PatternAttribution its contribution.
  MapKind map_kind() const override { return attribution_ ? MapKind::Relevance : MapKind::Sensitivity; }
  Sweep prepare(const AttributionContext& ctx, const Tensor& x) const override {
    const Graph& g = ctx.model;
    PatternFit fit = fit_;
    fit.batch_size = std::max<int64_t>(1, ctx.batch_size);
    const std::shared_ptr<const Patterns> patterns = patterns_for(ctx, fit);
    const Canonical c = canonize(g);
    Sweep s{g.forward_all(x), RuleSet(static_cast<size_t>(g.size())), {}};
    auto pass = std::make_shared<PassRule>();
    for (int k = 1; k < g.size(); ++k) {
      if (c.folded_into[k] >= 0) s.rules[k] = pass;
      if (!c.affine[k]) continue;
      const Tensor& a = patterns->per_node.at(static_cast<size_t>(k));
      if (!a.defined() || a.sizes() != c.linear[k]->weight.sizes())
        throw InputError("patterns for node '" + g.node(k).name + "' are missing or shaped unlike its weight");
      s.rules[k] = std::make_shared<PatternRule>(*c.linear[k], attribution_ ? a * c.linear[k]->weight : a);
    }
    return s;
  }

 private:
  MethodSpec spec_;
  bool attribution_;
  PatternFit fit_;
};

}  // namespace

void register_pattern_methods(MethodRegistry& r) {
  const std::vector<Option> options{
      integer_option("fit_count", PatternFit{}.count, "training images the patterns are fitted on (a seeded subset)", 1,
                     100000000),
      integer_option("fit_seed", 0, "seed of that subset", 0),
      choice_option("mean_y", {"positive", "all"}, "E[y] of the two-component estimator over positive outputs "
                                                   "(Kindermans et al.) or all")};
  for (const bool attribution : {false, true}) {
    MethodInfo info{{attribution ? "pattern_attribution" : "pattern_net",
                     attribution ? "PatternAttribution: backpropagate with w * pattern (patterns fit on training data)"
                                 : "PatternNet: backpropagate with the signal pattern instead of the weight",
                     options},
                    nullptr,
                    families::kModifiedBackprop};
    info.make = [attribution](const MethodSpec& spec) -> MethodPtr {
      PatternFit fit;
      fit.count = spec.get_int("fit_count", fit.count);
      fit.seed = static_cast<uint64_t>(spec.get_int("fit_seed", 0));
      fit.mean_y_all = spec.get_string("mean_y", "positive") == "all";
      return std::make_shared<PatternMethod>(spec, attribution, fit);
    };
    r.add(std::move(info));
  }
}

}  // namespace sanity
