// The named LRP composites, one record each: name, summary, options with defaults, rule entries
// (composites.h; the base entries for sums, pools and BatchNorm follow every preset).
#include "attribution/composites.h"
#include "attribution/lrp_rules.h"

namespace sanity {
namespace {

RuleEntry first(std::string rule) { return {RuleEntry::Match::Position, "first", std::move(rule)}; }
RuleEntry logits(std::string rule) { return {RuleEntry::Match::Position, "logits", std::move(rule)}; }
RuleEntry conv(std::string rule) { return {RuleEntry::Match::Kind, "conv", std::move(rule)}; }
RuleEntry linear(std::string rule) { return {RuleEntry::Match::Kind, "linear", std::move(rule)}; }
RuleEntry kind(std::string k, std::string rule) { return {RuleEntry::Match::Kind, std::move(k), std::move(rule)}; }

Option eps(double fallback) { return number_option("eps", fallback, "stabilizer of the epsilon rule", 0); }
Option gamma() { return number_option("gamma", 0.25, "gamma of the conv layers' gamma rule", 0); }
Option low() { return number_or_word_option("low", {"auto"}, "first layer's z^B lower bound; auto: each sample's minimum"); }
Option high() { return number_or_word_option("high", {"auto"}, "first layer's z^B upper bound; auto: each sample's maximum"); }

CompositeInfo preset(std::string name, std::string summary, std::vector<Option> options, std::vector<RuleEntry> entries,
                     SeedScale seed = SeedScale::Logit) {
  return {{std::move(name), std::move(summary), std::move(options)}, std::move(entries), seed};
}

}  // namespace

void register_lrp_presets(CompositeRegistry& r) {
  r.add(preset("lrp_z", "LRP-0: the z rule on every conv and linear layer", {eps(1e-6)},
               {conv("epsilon(eps={eps})"), linear("epsilon(eps={eps})")}));
  r.add(preset("lrp_epsilon", "LRP-epsilon on every conv and linear layer", {eps(kLrpEpsilon)},
               {conv("epsilon(eps={eps})"), linear("epsilon(eps={eps})")}));
  r.add(preset("lrp_zplus", "LRP z+ on every conv and linear layer", {}, {conv("zplus"), linear("zplus")}));
  r.add(preset("lrp_epsilon_plus_flat", "LRP: flat on the first layer, z+ on convs, epsilon on dense layers",
               {eps(kLrpEpsilon)}, {first("flat"), conv("zplus"), linear("epsilon(eps={eps})")}));
  r.add(preset("lrp_epsilon_gamma_box", "LRP: z^B on the first layer, gamma on convs, epsilon on dense layers",
               {eps(kLrpEpsilon), gamma(), high(), low()},
               {first("zbox(low={low}, high={high})"), conv("gamma(gamma={gamma})"), linear("epsilon(eps={eps})")}));
  r.add(preset("lrp_alpha1beta0", "LRP alpha1-beta0 on every conv and linear layer", {},
               {conv("alpha_beta(alpha=1, beta=0)"), linear("alpha_beta(alpha=1, beta=0)")}));
  r.add(preset("lrp_alpha2beta1", "LRP alpha2-beta1 on every conv and linear layer", {},
               {conv("alpha_beta(alpha=2, beta=1)"), linear("alpha_beta(alpha=2, beta=1)")}));
  r.add(preset("lrp_epsilon_alpha2beta1", "LRP: alpha2-beta1 on convs, epsilon on dense layers (Zennit's EpsilonAlpha2Beta1)",
               {eps(kLrpEpsilon)}, {conv("alpha_beta(alpha=2, beta=1)"), linear("epsilon(eps={eps})")}));
  // Sixt et al.'s DTD: z^B at the input layer, w^2 at the logits, z+ (with bias) elsewhere.
  r.add(preset("deep_taylor", "Deep Taylor Decomposition: z^B on the input layer, z+ inside, w^2 at the logits",
               {high(), low()}, {first("zbox(low={low}, high={high})"), logits("wsquare"), conv("zplus"), linear("zplus")}));
  // Transformers (transformer_rules.h). The base entries every preset ends with already carry AttnLRP's
  // rules for LayerNorm, GELU, softmax and attention products; CP-LRP overrides the attention's.
  r.add(preset("lrp_attn",
               "AttnLRP (Achtibat et al. 2024): epsilon on conv and linear layers, LayerNorm and GELU identity rules, "
               "the softmax rule, the uniform rule on attention products",
               {eps(1e-6)},
               {conv("epsilon(eps={eps})"), linear("epsilon(eps={eps})"), kind("layernorm", "layernorm(eps={eps})"),
                kind("matmul", "uniform(eps={eps})"), kind("mul", "uniform(eps={eps})")}));
  r.add(preset("lrp_cp",
               "CP-LRP (Ali et al. 2022): attention probabilities and LayerNorm's 1/std held constant, epsilon on conv "
               "and linear layers, GELU identity rule",
               {eps(1e-6)},
               {conv("epsilon(eps={eps})"), linear("epsilon(eps={eps})"), kind("layernorm", "layernorm(eps={eps})"),
                kind("softmax", "detach"), kind("matmul", "cp_attention(eps={eps})")}));
  r.add(preset("excitation_backprop", "Excitation Backprop: z+ on every conv and linear layer, one-hot seed", {},
               {conv("zplus"), linear("zplus")}, SeedScale::One));
}

}  // namespace sanity
