#include "attribution/lrp_rules.h"

#include <deque>

#include "core/error.h"

namespace sanity {
namespace {

using Input = LrpRule::Input;
using Kind = LrpRule::Param::Kind;
using Outputs = LrpRule::Group::Outputs;

Tensor pos_part(const Tensor& t) { return t.defined() ? t.clamp_min(0) : t; }
Tensor neg_part(const Tensor& t) { return t.defined() ? t.clamp_max(0) : t; }

// The modified inputs and parameters of one call, each computed once.
class Modified {
 public:
  Modified(const LinearOp& op, const Tensor& x, const LrpRule& rule) : op_(op), x_(x), rule_(rule) {}

  const Tensor& input(Input in) {
    Tensor& t = inputs_[static_cast<int>(in)];
    if (!t.defined()) t = make_input(in);
    return t;
  }
  // The modified weight and bias (bias undefined when the layer has none).
  const std::pair<Tensor, Tensor>& param(const LrpRule::Param& p) {
    for (const auto& [key, value] : params_)
      if (key.kind == p.kind && key.gamma == p.gamma) return value;
    params_.push_back({p, {modify(p, op_.weight), modify(p, op_.bias)}});
    return params_.back().second;
  }

 private:
  Tensor make_input(Input in) const {
    switch (in) {
      case Input::All: return x_;
      case Input::Positive: return pos_part(x_);
      case Input::Negative: return neg_part(x_);
      case Input::Ones: return torch::ones_like(x_);
      case Input::Low: return bound(rule_.low, true);
      case Input::High: return bound(rule_.high, false);
    }
    return x_;
  }
  // zbox's box per sample: the given bound, or the sample's own min (max) over the layer's input.
  Tensor bound(const std::optional<double>& value, bool low) const {
    std::vector<int64_t> per_sample(x_.dim(), 1);
    per_sample[0] = x_.size(0);
    const Tensor flat = x_.reshape({x_.size(0), -1});
    const Tensor b = value ? torch::full({x_.size(0)}, *value, x_.options()) : (low ? flat.amin(1) : flat.amax(1));
    return b.view(per_sample).expand_as(x_);
  }
  static Tensor modify(const LrpRule::Param& p, const Tensor& w) {
    if (!w.defined()) return w;
    switch (p.kind) {
      case Kind::Same: return w;
      case Kind::Positive: return pos_part(w);
      case Kind::Negative: return neg_part(w);
      case Kind::GammaPositive: return w + p.gamma * pos_part(w);
      case Kind::GammaNegative: return w + p.gamma * neg_part(w);
      case Kind::Square: return w * w;
      case Kind::Ones: return torch::ones_like(w);
    }
    return w;
  }

  const LinearOp& op_;
  const Tensor& x_;
  const LrpRule& rule_;
  Tensor inputs_[6];
  std::deque<std::pair<LrpRule::Param, std::pair<Tensor, Tensor>>> params_;  // stable references
};

// a + t, a - t, or t when a is undefined.
Tensor accumulate(const Tensor& a, const Tensor& t, bool subtract) {
  if (!a.defined()) return subtract ? -t : t;
  return subtract ? a - t : a + t;
}

}  // namespace

Tensor stabilize(const Tensor& z, double eps) { return z + ((z == 0).to(z.scalar_type()) + z.sign()) * eps; }

Tensor LrpRule::relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const {
  Modified m(op, x, *this);
  bool uses_negative = false, splits_outputs = false;
  for (const auto& g : groups) {
    splits_outputs = splits_outputs || g.outputs != Outputs::All;
    for (const auto& t : g.terms) uses_negative = uses_negative || t.input == Input::Negative;
  }
  const bool signed_input = uses_negative && x.numel() > 0 && x.min().item<double>() < 0;
  auto present = [&](const Term& t) { return t.input != Input::Negative || signed_input; };
  const Tensor z_plain = splits_outputs ? op.apply(x, op.weight, op.bias) : Tensor();

  // Gradient mapper: per group, the relevance at the output over the stabilized sum of its terms.
  std::vector<Tensor> s(groups.size());
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const Group& g = groups[gi];
    if (g.coefficient == 0) continue;
    Tensor z;
    for (const Term& t : g.terms) {
      if (!present(t)) continue;
      const auto& [w, b] = m.param(t.param);
      z = accumulate(z, op.apply(m.input(t.input), w, t.bias ? b : Tensor()), t.subtract);
    }
    Tensor num = r;
    if (g.outputs == Outputs::Positive) num = (z_plain > 0).to(r.scalar_type()) * r;
    if (g.outputs == Outputs::Negative) num = (z_plain < 0).to(r.scalar_type()) * r;
    s[gi] = num / stabilize(z, eps);
  }
  // The transposed layer with the term's parameters, times the term's input (not for Ones).
  auto back = [&](size_t gi, const Term& t) { return op.transpose(s[gi], m.param(t.param).first, x.sizes()); };
  auto times_input = [&](Input in, const Tensor& t) { return in == Input::Ones ? t : m.input(in) * t; };

  Tensor out;
  if (reduce == Reduce::ByGroup) {
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const Group& g = groups[gi];
      if (g.coefficient == 0) continue;
      Tensor rg;
      for (const Term& t : g.terms)
        if (present(t)) rg = accumulate(rg, times_input(t.input, back(gi, t)), t.subtract);
      if (!out.defined()) out = g.coefficient == 1 ? rg : g.coefficient * rg;
      else if (g.coefficient < 0) out = out - (-g.coefficient) * rg;
      else out = out + (g.coefficient == 1 ? rg : g.coefficient * rg);
    }
    return out;
  }
  // ByInput: every transposed signal of one modified input summed before the product.
  std::vector<Input> order;
  for (const auto& g : groups)
    for (const auto& t : g.terms)
      if (present(t) && std::find(order.begin(), order.end(), t.input) == order.end()) order.push_back(t.input);
  for (Input in : order) {
    Tensor sum;
    for (size_t gi = 0; gi < groups.size(); ++gi)
      for (const Term& t : groups[gi].terms)
        if (present(t) && t.input == in && groups[gi].coefficient != 0) sum = accumulate(sum, back(gi, t), t.subtract);
    out = accumulate(out, times_input(in, sum), false);
  }
  return out;
}

Tensors LinearRule::backward(const BackwardCall& call) const {
  return {rule_->relevance(op_, call.inputs.at(0), call.grad)};
}

Tensors NormRule::backward(const BackwardCall& call) const {
  const Layer& layer = *call.graph.node(call.node).layer;
  const Tensor s = call.grad / stabilize(call.output);
  Tensors back = layer.backward(call.inputs, call.output, s);
  for (size_t k = 0; k < back.size(); ++k)
    if (back[k].defined()) back[k] = call.inputs[k] * back[k];
  return back;
}

}  // namespace sanity
