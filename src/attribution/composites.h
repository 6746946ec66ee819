#pragma once
// Composites assign a backward rule to every node of a model (Zennit's idea): an ordered list of
// (which nodes, which rule), first match wins. Named presets below; users put their own entries in
// front of a preset's with a JSON file (method option rules=FILE):
//   [ {"layer": "features.0", "rule": "zbox(low=-2.12, high=2.64)"},
//     {"kind": "conv", "rule": "gamma(gamma=0.1)"},
//     {"position": "first", "rule": "flat"} ]
// "layer" is a node name (or ONNX parameter prefix), "kind" a layer kind as `sanity info` prints it
// (conv, linear, batchnorm, add, avgpool, ...), "position" is "first" (the conv/linear layer nearest
// the input) or "logits" (the conv/linear layer nearest the output). Rules: lrp_rules.h plus norm,
// pass and gradient (the layer's own gradient).
//
// Every preset ends with the same base entries: residual sums, average pools, means and constant
// arithmetic take the norm rule; a standalone BatchNorm takes the z rule; everything else
// (ReLU, max pooling, flatten, concat, ...) passes its gradient. A BatchNorm folded into the layer
// before it (canonizers.h) always passes relevance through and matches no entry.
#include <string>
#include <vector>

#include "attribution/backprop_method.h"
#include "attribution/canonizers.h"
#include "core/registry.h"

namespace sanity {

struct RuleEntry {
  enum class Match { Layer, Kind, Position } match = Match::Kind;
  std::string value;  // node name, kind name, or "first" / "logits"
  std::string rule;   // rule spec; a preset's may name its options in braces: "epsilon(eps={eps})"
};

// A named composite (an LRP preset): one record of its rule entries, ahead of the base entries every
// composite ends with. Options are substituted into the entries' "{key}" placeholders.
struct CompositeInfo : RegistryEntry {
  std::vector<RuleEntry> entries;
  SeedScale seed = SeedScale::Logit;  // Excitation Backprop starts from the one-hot target
};

// lrp_z, lrp_epsilon, lrp_zplus, lrp_epsilon_plus_flat, lrp_epsilon_gamma_box, lrp_epsilon_alpha2beta1,
// lrp_alpha1beta0, lrp_alpha2beta1, deep_taylor, excitation_backprop (lrp_presets.cpp).
class CompositeRegistry : public Registry<CompositeInfo> {
 public:
  static const CompositeRegistry& instance();
  // The entries of a composite for a resolved spec: its own (placeholders filled), then the base.
  std::vector<RuleEntry> rule_entries(const Spec& resolved) const;

 private:
  CompositeRegistry();
};
void register_lrp_presets(CompositeRegistry& r);

// Reads user entries from a JSON file; throws InputError naming the file, the entry and the field.
std::vector<RuleEntry> read_rule_map(const std::string& path);

// One rule slot per node of `graph` for the entries (first match wins). Throws InputError if an
// entry names a layer the model lacks or gives a linear-layer rule to a node that is not linear.
RuleSet build_rule_set(const Graph& graph, const Canonical& canonical, const std::vector<RuleEntry>& entries);

}  // namespace sanity
