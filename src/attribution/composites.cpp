#include "attribution/composites.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "attribution/lrp_rules.h"
#include "core/error.h"
#include "core/json.h"
#include "models/layers.h"

namespace sanity {
namespace {

RuleEntry kind_entry(std::string k, std::string rule) { return {RuleEntry::Match::Kind, std::move(k), std::move(rule)}; }

bool is_kind_name(const std::string& v) {
  for (int k = 0; k < kLayerKindCount; ++k)
    if (kind_name(static_cast<LayerKind>(k)) == v) return true;
  return false;
}

}  // namespace

const CompositeRegistry& CompositeRegistry::instance() {
  static const CompositeRegistry r;
  return r;
}

CompositeRegistry::CompositeRegistry() : Registry("composite", "composites") { register_lrp_presets(*this); }

std::vector<RuleEntry> CompositeRegistry::rule_entries(const Spec& resolved) const {
  std::vector<RuleEntry> out = get(resolved.name).entries;
  for (RuleEntry& e : out)
    for (const auto& [key, value] : resolved.options)
      for (size_t at; (at = e.rule.find("{" + key + "}")) != std::string::npos;) e.rule.replace(at, key.size() + 2, value);
  // The entries every composite ends with (Zennit's LAYER_MAP_BASE, plus standalone BatchNorm), and
  // AttnLRP's rules for the layers of transformers (transformer_rules.h): a CNN preset applied to a
  // ViT or ConvNeXt treats LayerNorm, GELU and attention as AttnLRP does.
  for (const char* k : {"add", "sub", "avgpool", "global_avgpool", "reduce_mean", "const_arith"}) out.push_back(kind_entry(k, "norm"));
  out.push_back(kind_entry("batchnorm", "z"));
  out.push_back(kind_entry("layernorm", "layernorm"));
  for (const char* k : {"gelu", "hard_swish"}) out.push_back(kind_entry(k, "pass"));
  out.push_back(kind_entry("softmax", "softmax"));
  out.push_back(kind_entry("matmul", "uniform"));
  return out;
}

std::vector<RuleEntry> read_rule_map(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("rules file " + path + ": cannot be read");
  nlohmann::json j = parse_json_strict(in, "rules file " + path);
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
    RuleRegistry::instance().make(e.rule, where);  // fail early on a bad rule
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
    RuleChoice rule;
  };
  std::vector<Parsed> parsed;
  for (const auto& e : entries) {
    Parsed p{&e, -1, RuleRegistry::instance().make(e.rule, "rule '" + e.rule + "'")};
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
      using K = RuleChoice::Kind;
      if (p.rule.kind == K::Linear) {
        if (!c.linear[k])
          throw InputError("rule " + p.entry->rule + " needs a conv, linear or batchnorm layer; node '" +
                           g.node(k).name + "' is " + std::string(kname));
        rules[k] = std::make_shared<LinearRule>(p.rule.linear, *c.linear[k]);
      } else if (p.rule.kind == K::Norm) {
        const auto* ca = dynamic_cast<const ConstArith*>(&layer);
        const bool nonlinear = ca && ca->op == ConstArith::Op::Div && ca->constant_first;  // c / x
        if (!nonlinear) rules[k] = norm;
      } else if (p.rule.kind == K::Pass) {
        rules[k] = pass;
      } else if (p.rule.kind == K::Node) {
        if (!p.rule.layers.empty() &&
            std::find(p.rule.layers.begin(), p.rule.layers.end(), layer.kind()) == p.rule.layers.end())
          throw InputError("rule " + p.entry->rule + " does not apply to node '" + g.node(k).name + "', a " +
                           std::string(kname) + " layer");
        rules[k] = p.rule.node;
      }
      break;  // first match wins ("gradient" leaves the slot empty)
    }
  }
  return rules;
}

}  // namespace sanity
