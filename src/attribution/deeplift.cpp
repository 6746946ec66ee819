// DeepLIFT with the Rescale rule (Shrikumar et al. 2017): multipliers pass through linear layers by
// their weights (the gradient) and through each pointwise nonlinearity as the secant slope
// (y - y') / (x - x') between the input and the reference; the attribution is the multiplier at the
// input times (x - x'). Max pooling keeps the gradient (the DeepLIFT library's default). For
// Rescale, routing positive and negative parts separately through linear layers gives the same
// multipliers, so the plain weights are used.
#include "attribution/backprop_method.h"
#include "attribution/modified_backprop.h"
#include "core/error.h"

namespace sanity {
namespace {

bool is_pointwise_nonlinear(LayerKind k) {
  return k == LayerKind::ReLU || k == LayerKind::LeakyReLU || k == LayerKind::Clip || k == LayerKind::Sigmoid ||
         k == LayerKind::Tanh;
}

class RescaleRule : public BackwardRule {
 public:
  RescaleRule(std::shared_ptr<const Tensors> ref, int input) : ref_(std::move(ref)), input_(input) {}
  Tensors backward(const BackwardCall& call) const override {
    const Tensor& x = call.inputs.at(0);
    const Tensor dx = x - (*ref_)[input_];
    const Tensor dy = call.output - (*ref_)[call.node];
    // Where the input barely moved the secant is the tangent: fall back to the gradient there.
    const Tensor tiny = dx.abs() < 1e-6;
    const Tensor grad = call.graph.node(call.node).layer->backward(call.inputs, call.output, call.grad)[0];
    return {torch::where(tiny, grad, call.grad * dy / torch::where(tiny, torch::ones_like(dx), dx))};
  }

 private:
  std::shared_ptr<const Tensors> ref_;
  int input_;
};

class DeepLift : public BackpropMethod {
 public:
  explicit DeepLift(MethodSpec spec) : spec_(std::move(spec)) {
    const std::string ref = spec_.get_string("reference", "zero");
    if (ref != "zero") reference_ = spec_.get_double("reference", 0.0);
  }
  MethodSpec spec() const override { return spec_; }
  Sweep prepare(const AttributionContext& ctx, const Tensor& x) const override {
    const Graph& g = ctx.model;
    const Tensor x0 = torch::full_like(x, reference_);
    auto ref = std::make_shared<const Tensors>(g.forward_all(x0));
    Sweep s{g.forward_all(x), RuleSet(static_cast<size_t>(g.size())), {}};
    for (int k = 1; k < g.size(); ++k)
      if (is_pointwise_nonlinear(g.node(k).layer->kind()))
        s.rules[k] = std::make_shared<RescaleRule>(ref, g.node(k).inputs.at(0));
    const Tensor delta = x - x0;
    s.finish = [delta](const Tensor& m) { return m * delta; };
    return s;
  }

 private:
  MethodSpec spec_;
  double reference_ = 0.0;
};

}  // namespace

void register_deeplift_method(MethodRegistry& r) {
  r.add({{"deeplift", "DeepLIFT Rescale: secant slopes at nonlinearities, times (x - reference)",
          {number_or_word_option("reference", {"zero"}, "the reference input x': zero, or this value in every pixel")}},
         [](const MethodSpec& spec) -> MethodPtr { return std::make_shared<DeepLift>(spec); }, families::kModifiedBackprop});
}

}  // namespace sanity
