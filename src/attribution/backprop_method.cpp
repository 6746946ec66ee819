#include "attribution/backprop_method.h"

#include "core/error.h"

namespace sanity {

Tensor logit_seed(const Graph& model, const Tensors& acts, const Tensor& targets, SeedScale scale) {
  const Tensor& logits = acts.at(model.logits());
  if (logits.dim() != 2) throw UnsupportedError("the model's output is not [N, classes]");
  Tensor seed = one_hot_seed(logits, targets);
  return scale == SeedScale::Logit ? seed * logits : seed;
}

Tensor BackpropMethod::attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const {
  torch::NoGradGuard no_grad;
  ctx.model.check_input(x);
  if (targets.dim() != 1 || targets.size(0) != x.size(0))
    throw InputError("method " + spec().name + ": targets must be [N] for an input of N images");
  const int64_t n = x.size(0), chunk = std::max<int64_t>(1, ctx.batch_size);
  Tensors parts;
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t len = std::min(chunk, n - i);
    Tensor xi = x.narrow(0, i, len);
    Sweep s = prepare(ctx, xi);
    Tensor seed = logit_seed(ctx.model, s.acts, targets.narrow(0, i, len), seed_scale());
    BackpropOptions o;
    o.rules = &s.rules;
    Tensor r = backprop(ctx.model, s.acts, ctx.model.logits(), seed, o);
    parts.push_back(s.finish ? s.finish(r) : r);
  }
  return parts.size() == 1 ? parts[0] : torch::cat(parts, 0);
}

namespace {

class GradientSweep : public BackpropMethod {
 public:
  MethodSpec spec() const override { return {"gradient", {}, {}}; }
  Sweep prepare(const AttributionContext& ctx, const Tensor& x) const override {
    return {ctx.model.forward_all(x), RuleSet{}, {}};
  }
};

}  // namespace

BackpropMethodPtr make_gradient_sweep() { return std::make_shared<GradientSweep>(); }

}  // namespace sanity
