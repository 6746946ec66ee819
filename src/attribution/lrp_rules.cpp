#include "attribution/lrp_rules.h"

#include <sstream>

#include "core/error.h"

namespace sanity {
namespace {

Tensor pos_part(const Tensor& t) { return t.defined() ? t.clamp_min(0) : t; }
Tensor neg_part(const Tensor& t) { return t.defined() ? t.clamp_max(0) : t; }
// a + c * b for possibly undefined bias tensors.
Tensor plus(const Tensor& a, double c, const Tensor& b) { return a.defined() ? a + c * b : a; }
bool any_negative(const Tensor& x) { return x.numel() > 0 && x.min().item<double>() < 0; }

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

class Epsilon : public LrpRule {
 public:
  explicit Epsilon(double eps) : eps_(eps) {}
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const override {
    Tensor s = r / stabilize(op.apply(x, op.weight, op.bias), eps_);
    return x * op.transpose(s, op.weight, x.sizes());
  }
  std::string str() const override { return "epsilon(eps=" + num(eps_) + ")"; }

 private:
  double eps_;
};

class Gamma : public LrpRule {
 public:
  explicit Gamma(double gamma) : gamma_(gamma) {}
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const override {
    const Tensor &w = op.weight, &b = op.bias;
    const Tensor wp = w + gamma_ * pos_part(w), wn = w + gamma_ * neg_part(w);
    const Tensor bp = plus(b, gamma_, pos_part(b)), bn = plus(b, gamma_, neg_part(b));
    const Tensor xp = pos_part(x), xn = neg_part(x);
    const bool signed_input = any_negative(x);
    const Tensor z = op.apply(x, w, b);
    // Positive outputs: x+ (w + g w+) + b + g b+  and  x- (w + g w-); negative outputs mirrored.
    Tensor zp = op.apply(xp, wp, bp), zn = op.apply(xp, wn, bn);
    if (signed_input) {
      zp = zp + op.apply(xn, wn, {});
      zn = zn + op.apply(xn, wp, {});
    }
    const Tensor sp = (z > 0).to(r.scalar_type()) * r / stabilize(zp);
    const Tensor sn = (z < 0).to(r.scalar_type()) * r / stabilize(zn);
    Tensor out = xp * (op.transpose(sp, wp, x.sizes()) + op.transpose(sn, wn, x.sizes()));
    if (signed_input) out = out + xn * (op.transpose(sp, wn, x.sizes()) + op.transpose(sn, wp, x.sizes()));
    return out;
  }
  std::string str() const override { return "gamma(gamma=" + num(gamma_) + ")"; }

 private:
  double gamma_;
};

class AlphaBeta : public LrpRule {
 public:
  AlphaBeta(double alpha, double beta, std::string name) : alpha_(alpha), beta_(beta), name_(std::move(name)) {}
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const override {
    const Tensor &w = op.weight, &b = op.bias;
    const Tensor wp = pos_part(w), wn = neg_part(w), xp = pos_part(x), xn = neg_part(x);
    const bool signed_input = any_negative(x);
    // Positive contributions x+ w+ (+ b+) and x- w-, normalized by their sum.
    Tensor zp = op.apply(xp, wp, pos_part(b));
    if (signed_input) zp = zp + op.apply(xn, wn, {});
    const Tensor sp = r / stabilize(zp);
    Tensor out = xp * op.transpose(sp, wp, x.sizes());
    if (signed_input) out = out + xn * op.transpose(sp, wn, x.sizes());
    out = alpha_ * out;
    if (beta_ != 0) {
      // Negative contributions x+ w- (+ b-) and x- w+.
      Tensor zn = op.apply(xp, wn, neg_part(b));
      if (signed_input) zn = zn + op.apply(xn, wp, {});
      const Tensor sn = r / stabilize(zn);
      Tensor o = xp * op.transpose(sn, wn, x.sizes());
      if (signed_input) o = o + xn * op.transpose(sn, wp, x.sizes());
      out = out - beta_ * o;
    }
    return out;
  }
  std::string str() const override {
    return name_ == "zplus" ? name_ : "alpha_beta(alpha=" + num(alpha_) + ", beta=" + num(beta_) + ")";
  }

 private:
  double alpha_, beta_;
  std::string name_;
};

class WSquare : public LrpRule {
 public:
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const override {
    const Tensor w2 = op.weight * op.weight;
    const Tensor b2 = op.bias.defined() ? op.bias * op.bias : op.bias;
    const Tensor s = r / stabilize(op.apply(torch::ones_like(x), w2, b2));
    return op.transpose(s, w2, x.sizes());
  }
  std::string str() const override { return "wsquare"; }
};

class Flat : public LrpRule {
 public:
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const override {
    const Tensor ones = torch::ones_like(op.weight);
    const Tensor s = r / stabilize(op.apply(torch::ones_like(x), ones, {}));
    return op.transpose(s, ones, x.sizes());
  }
  std::string str() const override { return "flat"; }
};

class ZBox : public LrpRule {
 public:
  ZBox(std::optional<double> low, std::optional<double> high) : low_(low), high_(high) {}
  Tensor relevance(const LinearOp& op, const Tensor& x, const Tensor& r) const override {
    const Tensor flat = x.reshape({x.size(0), -1});
    std::vector<int64_t> per_sample(x.dim(), 1);
    per_sample[0] = x.size(0);
    const Tensor l = (low_ ? torch::full({x.size(0)}, *low_, x.options()) : flat.amin(1)).view(per_sample).expand_as(x);
    const Tensor h = (high_ ? torch::full({x.size(0)}, *high_, x.options()) : flat.amax(1)).view(per_sample).expand_as(x);
    const Tensor &w = op.weight, &b = op.bias;
    const Tensor wp = pos_part(w), wn = neg_part(w);
    // z = x w - l w+ - h w- (the biases of the three terms cancel).
    const Tensor z = op.apply(x, w, b) - op.apply(l, wp, pos_part(b)) - op.apply(h, wn, neg_part(b));
    const Tensor s = r / stabilize(z);
    return x * op.transpose(s, w, x.sizes()) - l * op.transpose(s, wp, x.sizes()) -
           h * op.transpose(s, wn, x.sizes());
  }
  std::string str() const override {
    return "zbox(high=" + (high_ ? num(*high_) : std::string("auto")) +
           ", low=" + (low_ ? num(*low_) : std::string("auto")) + ")";
  }

 private:
  std::optional<double> low_, high_;
};

void check_options(const MethodSpec& s, const std::vector<std::string>& valid, const std::string& where) {
  for (const auto& [k, v] : s.options)
    if (std::find(valid.begin(), valid.end(), k) == valid.end()) {
      std::string list;
      for (const auto& o : valid) list += (list.empty() ? "" : ", ") + o;
      throw InputError(where + ": rule " + s.name + " has no option '" + k + "' (valid: " +
                       (list.empty() ? "none" : list) + ")");
    }
  if (!s.methods.empty()) throw InputError(where + ": rule " + s.name + " takes no nested rule");
}

std::optional<double> bound(const MethodSpec& s, const std::string& key) {
  if (!s.has(key) || s.get_string(key, "") == "auto") return std::nullopt;
  return s.get_double(key, 0);
}

}  // namespace

Tensor stabilize(const Tensor& z, double eps) { return z + ((z == 0).to(z.scalar_type()) + z.sign()) * eps; }

LrpRulePtr make_epsilon_rule(double eps) { return std::make_shared<Epsilon>(eps); }
LrpRulePtr make_gamma_rule(double gamma) { return std::make_shared<Gamma>(gamma); }
LrpRulePtr make_zplus_rule() { return std::make_shared<AlphaBeta>(1.0, 0.0, "zplus"); }
LrpRulePtr make_alpha_beta_rule(double alpha, double beta) {
  return std::make_shared<AlphaBeta>(alpha, beta, "alpha_beta");
}
LrpRulePtr make_wsquare_rule() { return std::make_shared<WSquare>(); }
LrpRulePtr make_flat_rule() { return std::make_shared<Flat>(); }
LrpRulePtr make_zbox_rule(std::optional<double> low, std::optional<double> high) {
  return std::make_shared<ZBox>(low, high);
}

LrpRulePtr parse_lrp_rule(const MethodSpec& s, const std::string& where) {
  const std::string& n = s.name;
  if (n == "z" || n == "epsilon") {
    check_options(s, {"eps"}, where);
    const double eps = s.get_double("eps", n == "z" ? 1e-6 : 0.25);
    if (eps < 0) throw InputError(where + ": rule " + n + " option eps must be >= 0");
    return make_epsilon_rule(eps);
  }
  if (n == "gamma") {
    check_options(s, {"gamma"}, where);
    const double g = s.get_double("gamma", 0.25);
    if (g < 0) throw InputError(where + ": rule gamma option gamma must be >= 0");
    return make_gamma_rule(g);
  }
  if (n == "zplus") {
    check_options(s, {}, where);
    return make_zplus_rule();
  }
  if (n == "alpha_beta") {
    check_options(s, {"alpha", "beta"}, where);
    const double a = s.get_double("alpha", 1.0), b = s.get_double("beta", a - 1.0);
    if (a < 0 || b < 0 || std::abs(a - b - 1.0) > 1e-12)
      throw InputError(where + ": rule alpha_beta needs alpha >= 0, beta >= 0 and alpha - beta = 1, got alpha=" +
                       num(a) + ", beta=" + num(b));
    return make_alpha_beta_rule(a, b);
  }
  if (n == "wsquare") {
    check_options(s, {}, where);
    return make_wsquare_rule();
  }
  if (n == "flat") {
    check_options(s, {}, where);
    return make_flat_rule();
  }
  if (n == "zbox") {
    check_options(s, {"low", "high"}, where);
    auto lo = bound(s, "low"), hi = bound(s, "high");
    if (lo && hi && *lo > *hi) throw InputError(where + ": rule zbox needs low <= high");
    return make_zbox_rule(lo, hi);
  }
  if (n == "norm" || n == "pass" || n == "gradient") {
    check_options(s, {}, where);
    return nullptr;
  }
  throw InputError(where + ": unknown rule '" + n +
                   "'; valid rules: z, epsilon, gamma, zplus, alpha_beta, wsquare, flat, zbox, norm, pass, gradient");
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
