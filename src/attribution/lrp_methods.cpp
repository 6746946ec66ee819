// The LRP presets, Deep Taylor Decomposition and Excitation Backprop: one composite each
// (composites.h), on the canonized model (canonizers.h), seeded at the logits.
#include "attribution/backprop_method.h"
#include "attribution/composites.h"
#include "attribution/modified_backprop.h"

namespace sanity {
namespace {

class CompositeMethod : public BackpropMethod {
 public:
  CompositeMethod(MethodSpec spec, std::vector<RuleEntry> entries, SeedScale scale)
      : spec_(std::move(spec)), entries_(std::move(entries)), scale_(scale) {}
  MethodSpec spec() const override { return spec_; }
  SeedScale seed_scale() const override { return scale_; }
  Sweep prepare(const AttributionContext& ctx, const Tensor& x) const override {
    Canonical c = canonize(ctx.model);
    return {ctx.model.forward_all(x), build_rule_set(ctx.model, c, entries_), {}};
  }

 private:
  MethodSpec spec_;
  std::vector<RuleEntry> entries_;
  SeedScale scale_;
};

struct Preset {
  std::string name, summary;
  std::vector<std::pair<std::string, std::string>> defaults;  // option -> default value
};

}  // namespace

void register_lrp_methods(MethodRegistry& r) {
  const std::vector<Preset> presets{
      {"lrp_z", "LRP-0: the z rule (eps 1e-6 stabilizer) on every conv and linear layer", {{"eps", "1e-06"}}},
      {"lrp_epsilon", "LRP-epsilon on every conv and linear layer", {{"eps", "0.25"}}},
      {"lrp_zplus", "LRP z+ on every conv and linear layer", {}},
      {"lrp_epsilon_plus_flat", "LRP: flat on the first layer, z+ on convs, epsilon on dense layers",
       {{"eps", "0.25"}}},
      {"lrp_epsilon_gamma_box", "LRP: z^B on the first layer, gamma on convs, epsilon on dense layers",
       {{"eps", "0.25"}, {"gamma", "0.25"}, {"high", "auto"}, {"low", "auto"}}},
      {"lrp_alpha1beta0", "LRP alpha1-beta0 on every conv and linear layer", {}},
      {"lrp_alpha2beta1", "LRP alpha2-beta1 on every conv and linear layer", {}},
      {"deep_taylor", "Deep Taylor Decomposition: z^B on the input layer, z+ inside, w^2 at the logits",
       {{"high", "auto"}, {"low", "auto"}}},
      {"excitation_backprop", "Excitation Backprop: z+ on every conv and linear layer, one-hot seed", {}},
  };
  for (const auto& p : presets) {
    MethodInfo info;
    info.name = p.name;
    info.summary = p.summary + " (rules=FILE.json puts your own rules first)";
    for (const auto& [k, v] : p.defaults) info.options.push_back(k);
    info.options.push_back("rules");
    info.make = [p](const MethodSpec& given) -> MethodPtr {
      MethodSpec spec = given;
      for (const auto& [k, v] : p.defaults)
        if (!spec.has(k)) spec.options[k] = v;
      std::vector<RuleEntry> entries;
      if (spec.has("rules")) entries = read_rule_map(spec.get_string("rules", ""));
      for (auto& e : preset_composite(p.name, spec)) entries.push_back(std::move(e));
      // Validate every rule of the preset now (bad eps, gamma, bounds), not at the first image.
      for (const auto& e : entries) parse_lrp_rule(parse_method_spec(e.rule), "method " + spec.str());
      const SeedScale scale = p.name == "excitation_backprop" ? SeedScale::One : SeedScale::Logit;
      return std::make_shared<CompositeMethod>(spec, std::move(entries), scale);
    };
    r.add(std::move(info));
  }
}

}  // namespace sanity
