// The LRP presets, Deep Taylor Decomposition and Excitation Backprop as methods: one per composite
// (composites.h, lrp_presets.cpp), on the canonized model (canonizers.h), seeded at the logits.
#include "attribution/backprop_method.h"
#include "attribution/composites.h"
#include "attribution/lrp_rules.h"
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

}  // namespace

void register_lrp_methods(MethodRegistry& r) {
  for (const CompositeInfo& composite : CompositeRegistry::instance().entries()) {
    MethodInfo info{{composite.name, composite.summary + " (rules=FILE.json puts your own rules first)",
                     composite.options},
                    nullptr,
                    families::kLrp};
    info.options.push_back(optional(text_option("rules", "", "a JSON file of rule entries that come first (composites.h)")));
    const SeedScale scale = composite.seed;
    info.make = [scale](const MethodSpec& spec) -> MethodPtr {
      std::vector<RuleEntry> entries;
      if (spec.has("rules")) entries = read_rule_map(spec.get_string("rules", ""));
      MethodSpec preset = spec;
      preset.options.erase("rules");
      for (auto& e : CompositeRegistry::instance().rule_entries(preset)) entries.push_back(std::move(e));
      // Validate every rule of the preset now (bad eps, gamma, bounds), not at the first image.
      for (const auto& e : entries) RuleRegistry::instance().make(e.rule, "method " + spec.str());
      return std::make_shared<CompositeMethod>(spec, std::move(entries), scale);
    };
    r.add(std::move(info));
  }
}

}  // namespace sanity
