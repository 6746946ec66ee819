#include "attribution/composites.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "core/error.h"
#include "models/layers.h"

namespace sanity {
namespace {

RuleEntry kind(std::string k, std::string rule) { return {RuleEntry::Match::Kind, std::move(k), std::move(rule)}; }
RuleEntry position(std::string p, std::string rule) {
  return {RuleEntry::Match::Position, std::move(p), std::move(rule)};
}

// The entries every preset ends with (Zennit's LAYER_MAP_BASE, plus standalone BatchNorm).
void append_base(std::vector<RuleEntry>& e) {
  for (const char* k : {"add", "avgpool", "global_avgpool", "reduce_mean", "const_arith"}) e.push_back(kind(k, "norm"));
  e.push_back(kind("batchnorm", "z"));
}

void both(std::vector<RuleEntry>& e, const std::string& rule) {
  e.push_back(kind("conv", rule));
  e.push_back(kind("linear", rule));
}

bool is_kind_name(const std::string& v) {
  for (int k = 0; k <= static_cast<int>(LayerKind::Identity); ++k)
    if (kind_name(static_cast<LayerKind>(k)) == v) return true;
  return false;
}

}  // namespace

const std::vector<std::string>& preset_composite_names() {
  static const std::vector<std::string> names{"lrp_z",           "lrp_epsilon",     "lrp_zplus",
                                              "lrp_epsilon_plus_flat", "lrp_epsilon_gamma_box",
                                              "lrp_alpha1beta0", "lrp_alpha2beta1", "deep_taylor",
                                              "excitation_backprop"};
  return names;
}

std::vector<RuleEntry> preset_composite(const std::string& name, const MethodSpec& o) {
  const std::string eps = o.get_string("eps", name == "lrp_z" ? "1e-06" : "0.25");
  const std::string epsilon = "epsilon(eps=" + eps + ")";
  const std::string box = "zbox(low=" + o.get_string("low", "auto") + ", high=" + o.get_string("high", "auto") + ")";
  std::vector<RuleEntry> e;
  if (name == "lrp_z" || name == "lrp_epsilon") {
    both(e, epsilon);
  } else if (name == "lrp_zplus" || name == "excitation_backprop") {
    both(e, "zplus");
  } else if (name == "lrp_epsilon_plus_flat") {
    e = {position("first", "flat"), kind("conv", "zplus"), kind("linear", epsilon)};
  } else if (name == "lrp_epsilon_gamma_box") {
    e = {position("first", box), kind("conv", "gamma(gamma=" + o.get_string("gamma", "0.25") + ")"),
         kind("linear", epsilon)};
  } else if (name == "lrp_alpha1beta0") {
    both(e, "alpha_beta(alpha=1, beta=0)");
  } else if (name == "lrp_alpha2beta1") {
    both(e, "alpha_beta(alpha=2, beta=1)");
  } else if (name == "deep_taylor") {
    // Sixt et al.'s DTD: z^B at the input layer, w^2 at the logits, z+ (with bias) elsewhere.
    e = {position("first", box), position("logits", "wsquare")};
    both(e, "zplus");
  } else {
    throw InputError("unknown composite '" + name + "'");
  }
  append_base(e);
  return e;
}

std::vector<RuleEntry> read_rule_map(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("rules file " + path + ": cannot be read");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw InputError("rules file " + path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (j.is_object() && j.contains("rules")) j = j["rules"];
  if (!j.is_array()) throw InputError("rules file " + path + ": expected a list of {\"kind\"|\"layer\"|\"position\": ..., \"rule\": ...}");
  std::vector<RuleEntry> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& item = j[i];
    const std::string where = "rules file " + path + ": entry " + std::to_string(i + 1);
    if (!item.is_object() || !item.contains("rule") || !item["rule"].is_string())
      throw InputError(where + ": expected an object with a string field \"rule\"");
    RuleEntry e;
    int keys = 0;
    for (const auto& [key, value] : item.items()) {
      if (key == "rule") continue;
      if (!value.is_string()) throw InputError(where + ": field \"" + key + "\" must be a string");
      if (key == "layer") e.match = RuleEntry::Match::Layer;
      else if (key == "kind") e.match = RuleEntry::Match::Kind;
      else if (key == "position") e.match = RuleEntry::Match::Position;
      else throw InputError(where + ": unknown field \"" + key + "\" (expected layer, kind or position)");
      e.value = value.get<std::string>();
      ++keys;
    }
    if (keys != 1) throw InputError(where + ": give exactly one of \"layer\", \"kind\" or \"position\"");
    if (e.match == RuleEntry::Match::Kind && !is_kind_name(e.value))
      throw InputError(where + ": unknown layer kind \"" + e.value + "\" (kinds as `sanity info` prints them)");
    if (e.match == RuleEntry::Match::Position && e.value != "first" && e.value != "logits")
      throw InputError(where + ": position must be \"first\" or \"logits\", got \"" + e.value + "\"");
    e.rule = item["rule"].get<std::string>();
    parse_lrp_rule(parse_method_spec(e.rule), where);  // fail early on a bad rule
    out.push_back(std::move(e));
  }
  return out;
}

RuleSet build_rule_set(const Graph& g, const Canonical& c, const std::vector<RuleEntry>& entries) {
  const int n = g.size();
  int first = -1, last = -1;
  for (int k = 0; k < n; ++k)
    if (c.affine[k]) {
      if (first < 0) first = k;
      if (k <= g.logits()) last = k;
    }
  // Parse every entry once; resolve layer names (an unknown name is an error, not a silent no-op).
  struct Parsed {
    const RuleEntry* entry;
    int node;
    LrpRulePtr lrp;
    std::string name;
  };
  std::vector<Parsed> parsed;
  for (const auto& e : entries) {
    const MethodSpec s = parse_method_spec(e.rule);
    Parsed p{&e, -1, parse_lrp_rule(s, "rule '" + e.rule + "'"), s.name};
    if (e.match == RuleEntry::Match::Layer) p.node = g.find(e.value);
    if (e.match == RuleEntry::Match::Position) p.node = e.value == "first" ? first : last;
    parsed.push_back(std::move(p));
  }
  auto norm = std::make_shared<NormRule>();
  auto pass = std::make_shared<PassRule>();
  RuleSet rules(static_cast<size_t>(n));
  for (int k = 1; k < n; ++k) {
    if (c.folded_into[k] >= 0) {
      rules[k] = pass;
      continue;
    }
    const Layer& layer = *g.node(k).layer;
    const std::string_view kname = kind_name(layer.kind());
    for (const auto& p : parsed) {
      const bool hit = p.entry->match == RuleEntry::Match::Kind ? kname == p.entry->value : p.node == k;
      if (!hit) continue;
      if (p.lrp) {
        if (!c.linear[k])
          throw InputError("rule " + p.entry->rule + " needs a conv, linear or batchnorm layer; node '" +
                           g.node(k).name + "' is " + std::string(kname));
        rules[k] = std::make_shared<LinearRule>(p.lrp, *c.linear[k]);
      } else if (p.name == "norm") {
        const auto* ca = dynamic_cast<const ConstArith*>(&layer);
        const bool nonlinear = ca && ca->op == ConstArith::Op::Div && ca->constant_first;  // c / x
        if (!nonlinear) rules[k] = norm;
      } else if (p.name == "pass") {
        rules[k] = pass;
      }
      break;  // first match wins ("gradient" leaves the slot empty)
    }
  }
  return rules;
}

}  // namespace sanity
