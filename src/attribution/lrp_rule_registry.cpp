// The LRP rules by name, each declared as terms of Zennit's BasicHook (lrp_rules.h) with its options.
#include <cmath>

#include "attribution/lrp_rules.h"

namespace sanity {
namespace {

using Input = LrpRule::Input;
using Kind = LrpRule::Param::Kind;
using Outputs = LrpRule::Group::Outputs;

LrpRule::Term term(Input in, Kind p, double gamma = 0) { return {in, {p, gamma}, true, false}; }
LrpRule::Term no_bias(LrpRule::Term t) {
  t.bias = false;
  return t;
}
LrpRule::Term minus(LrpRule::Term t) {
  t.subtract = true;
  return t;
}
std::shared_ptr<const LrpRule> declared(LrpRule r) { return std::make_shared<const LrpRule>(std::move(r)); }

// R_i = x_i sum_j w_ij R_j / stab(z_j), bias included in z (LRP-0 is the z rule, eps = 1e-6).
LrpRule epsilon(double eps) { return {{{{term(Input::All, Kind::Same)}}}, LrpRule::Reduce::ByGroup, eps}; }

// Positive outputs: x+ (w + g w+) + b + g b+ and x- (w + g w-); negative outputs mirrored.
LrpRule gamma(double g) {
  LrpRule r;
  r.groups = {{{term(Input::Positive, Kind::GammaPositive, g), no_bias(term(Input::Negative, Kind::GammaNegative, g))},
               Outputs::Positive},
              {{term(Input::Positive, Kind::GammaNegative, g), no_bias(term(Input::Negative, Kind::GammaPositive, g))},
               Outputs::Negative}};
  r.reduce = LrpRule::Reduce::ByInput;
  return r;
}

// alpha * (positive contributions x+ w+ (+ b+), x- w-) - beta * (negative ones x+ w- (+ b-), x- w+).
LrpRule alpha_beta(double alpha, double beta) {
  LrpRule r;
  r.groups = {{{term(Input::Positive, Kind::Positive), no_bias(term(Input::Negative, Kind::Negative))}, Outputs::All, alpha},
              {{term(Input::Positive, Kind::Negative), no_bias(term(Input::Negative, Kind::Positive))}, Outputs::All, -beta}};
  return r;
}

// R_i = sum_j w_ij^2 / sum_i' w_i'j^2 R_j: the input does not enter (first layer, unbounded inputs).
LrpRule wsquare() { return {{{{term(Input::Ones, Kind::Square)}}}}; }
// Every input of a unit gets an equal share.
LrpRule flat() { return {{{{no_bias(term(Input::Ones, Kind::Ones))}}}}; }

// z^B (DTD, input box [l, h]): z = x w - l w+ - h w- (the three biases cancel).
LrpRule zbox(std::optional<double> low, std::optional<double> high) {
  LrpRule r{{{{term(Input::All, Kind::Same), minus(term(Input::Low, Kind::Positive)), minus(term(Input::High, Kind::Negative))}}}};
  r.low = low;
  r.high = high;
  return r;
}

std::optional<double> bound(const Spec& s, const std::string& key) {
  const std::string v = s.get_string(key, "auto");
  return v == "auto" ? std::nullopt : std::optional<double>(s.get_double(key, 0));
}

RuleInfo linear_rule(std::string name, std::string summary, std::vector<Option> options,
                     std::function<LrpRule(const Spec&)> declare) {
  RuleInfo info{{std::move(name), std::move(summary), std::move(options)}, nullptr};
  info.make = [declare](const Spec& s) { return RuleChoice{RuleChoice::Kind::Linear, declared(declare(s))}; };
  return info;
}

RuleInfo node_rule(std::string name, std::string summary, RuleChoice::Kind kind) {
  return {{std::move(name), std::move(summary), {}}, [kind](const Spec&) { return RuleChoice{kind, nullptr}; }};
}

}  // namespace

const RuleRegistry& RuleRegistry::instance() {
  static const RuleRegistry r;
  return r;
}

RuleRegistry::RuleRegistry() : Registry("rule", "rules") {
  const auto eps = [](double fallback) {
    return number_option("eps", fallback, "stabilizer added to z with z's sign", 0);
  };
  add(linear_rule("z", "LRP-0: R_i = x_i sum_j w_ij R_j / z_j", {eps(1e-6)},
                  [](const Spec& s) { return epsilon(s.get_double("eps", 0)); }));
  add(linear_rule("epsilon", "LRP-epsilon: the z rule with a larger stabilizer", {eps(kLrpEpsilon)},
                  [](const Spec& s) { return epsilon(s.get_double("eps", 0)); }));
  add(linear_rule("gamma", "LRP-gamma: positive weights favoured by gamma (Montavon et al. 2019)",
                  {number_option("gamma", 0.25, "weight of the positive part", 0)},
                  [](const Spec& s) { return gamma(s.get_double("gamma", 0)); }));
  add(linear_rule("zplus", "LRP z+: positive contributions only (alpha1-beta0 for any input sign)", {},
                  [](const Spec&) { return alpha_beta(1.0, 0.0); }));
  Option beta = optional(number_option("beta", 0, "weight of negative contributions (default alpha - 1)", 0));
  add(linear_rule("alpha_beta", "LRP alpha-beta: alpha positive minus beta negative contributions, alpha - beta = 1",
                  {number_option("alpha", 1, "weight of positive contributions", 0), beta}, [](const Spec& s) {
                    const double a = s.get_double("alpha", 1), b = s.get_double("beta", a - 1);
                    if (std::abs(a - b - 1.0) > 1e-12)
                      throw InputError("rule alpha_beta needs alpha - beta = 1, got alpha=" + format_number(a) +
                                       ", beta=" + format_number(b));
                    return alpha_beta(a, b);
                  }));
  add(linear_rule("wsquare", "LRP w^2: R_i = sum_j w_ij^2 / sum_i' w_i'j^2 R_j (unbounded inputs)", {},
                  [](const Spec&) { return wsquare(); }));
  add(linear_rule("flat", "LRP flat: every input of a unit gets an equal share", {}, [](const Spec&) { return flat(); }));
  add(linear_rule("zbox", "DTD z^B for inputs in a box [low, high] (Montavon et al. 2017)",
                  {number_or_word_option("low", {"auto"}, "lower bound; auto: each sample's minimum"),
                   number_or_word_option("high", {"auto"}, "upper bound; auto: each sample's maximum")},
                  [](const Spec& s) {
                    const auto lo = bound(s, "low"), hi = bound(s, "high");
                    if (lo && hi && *lo > *hi) throw InputError("rule zbox needs low <= high");
                    return zbox(lo, hi);
                  }));
  add(node_rule("norm", "Zennit's Norm rule for parameter-free sums and pools: shares in proportion to each input",
                RuleChoice::Kind::Norm));
  add(node_rule("pass", "relevance passes unchanged", RuleChoice::Kind::Pass));
  add(node_rule("gradient", "the layer's own gradient", RuleChoice::Kind::Gradient));
  register_transformer_rules(*this);
}

RuleChoice RuleRegistry::make(const Spec& spec, const std::string& where) const {
  try {
    return get(spec.name).make(resolve(spec));
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
}

RuleChoice RuleRegistry::make(const std::string& text, const std::string& where) const {
  try {
    return make(parse_method_spec(text), where);
  } catch (const InputError& e) {
    const std::string what = e.what();
    throw InputError(what.rfind(where, 0) == 0 ? what : where + ": " + what);
  }
}

}  // namespace sanity
