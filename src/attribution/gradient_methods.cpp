// The gradient family of Adebayo et al.: gradient, gradient x input, Integrated Gradients, Guided
// Backprop, Deconvnet, GradCAM, Guided GradCAM. All run on the engine's backward sweep (no autograd
// graph, no parameter gradients).
#include "attribution/backprop_method.h"
#include "attribution/gradcam.h"
#include "attribution/integrated_gradients.h"
#include "attribution/registry.h"
#include "attribution/relu_rules.h"
#include "attribution/sweep.h"

namespace sanity {
namespace {

// The signal arriving at the input from one_hot(target): the gradient, or a modified gradient when
// the rectifiers carry a rule. Optionally multiplied by the input. A BackpropMethod so that CSC
// (metrics/csc.h) can start the same sweep from its own signals.
class InputSignal : public BackpropMethod {
 public:
  enum class Kind { Gradient, GradientTimesInput, GuidedBackprop, Deconvnet };
  explicit InputSignal(Kind kind) : kind_(kind) {}

  MethodSpec spec() const override { return {name(), {}, {}}; }

  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, name());
    torch::NoGradGuard no_grad;
    RuleSet rules;
    if (kind_ == Kind::GuidedBackprop) rules = relu_rules(ctx.model, ReluRule::Guided, name());
    if (kind_ == Kind::Deconvnet) rules = relu_rules(ctx.model, ReluRule::Deconvnet, name());
    Tensor s = input_signal_batched(ctx.model, x, targets, ctx.batch_size, rules.empty() ? nullptr : &rules);
    return kind_ == Kind::GradientTimesInput ? s.mul_(x) : s;
  }

  MapKind map_kind() const override {
    return kind_ == Kind::GradientTimesInput ? MapKind::Relevance : MapKind::Sensitivity;
  }

  Sweep prepare(const AttributionContext& ctx, const Tensor& x) const override {
    Sweep sweep{ctx.model.forward_all(x), {}, {}};
    if (kind_ == Kind::GuidedBackprop) sweep.rules = relu_rules(ctx.model, ReluRule::Guided, name());
    if (kind_ == Kind::Deconvnet) sweep.rules = relu_rules(ctx.model, ReluRule::Deconvnet, name());
    if (kind_ == Kind::GradientTimesInput) sweep.finish = [x](const Tensor& s) { return s * x; };
    return sweep;
  }

 private:
  std::string name() const {
    switch (kind_) {
      case Kind::Gradient: return "gradient";
      case Kind::GradientTimesInput: return "gradient_x_input";
      case Kind::GuidedBackprop: return "guided_backprop";
      case Kind::Deconvnet: return "deconvnet";
    }
    return "?";
  }
  Kind kind_;
};

MethodInfo input_signal_info(std::string name, std::string summary, InputSignal::Kind kind, const char* family) {
  return {{std::move(name), std::move(summary), {}}, [kind](const MethodSpec&) { return std::make_shared<InputSignal>(kind); },
          family};
}

MethodInfo gradcam_info(bool guided) {
  const Option layer = text_option("layer", "auto",
                                   "the feature map: a node name or PyTorch module path; auto: the map the "
                                   "classifier head pools (a CNN's last block output before pooling; a ViT's last "
                                   "block input, ln_1; Swin's last stage)");
  if (guided)
    return {{"guided_gradcam", "guided_backprop * gradcam", {layer}}, [](const MethodSpec& s) { return make_gradcam(s, true); },
            families::kModifiedBackprop};
  return {{"gradcam", "ReLU(sum_k mean(dS_c/dA_k) A_k) at a conv layer, upsampled (Selvaraju et al. 2017)", {layer}},
          [](const MethodSpec& s) { return make_gradcam(s, false); }, families::kGradient};
}

}  // namespace

void register_gradient_methods(MethodRegistry& r) {
  using K = InputSignal::Kind;
  r.add(input_signal_info("gradient", "dS_c/dx (Simonyan et al. 2014)", K::Gradient, families::kGradient));
  r.add(input_signal_info("gradient_x_input", "x * dS_c/dx", K::GradientTimesInput, families::kGradient));
  r.add({{"integrated_gradients",
          "(x - x') * path average of dS_c/dx from a baseline x' (Sundararajan et al. 2017)",
          integrated_gradients_options()},
         make_integrated_gradients, families::kGradient});
  r.add(input_signal_info("guided_backprop", "only positive signal through ReLUs with positive input "
                                             "(Springenberg et al. 2015)", K::GuidedBackprop,
                          families::kModifiedBackprop));
  r.add(input_signal_info("deconvnet", "only positive signal through ReLUs, forward sign ignored "
                                       "(Zeiler & Fergus 2014)", K::Deconvnet, families::kModifiedBackprop));
  r.add(gradcam_info(false));
  r.add(gradcam_info(true));
}

}  // namespace sanity
