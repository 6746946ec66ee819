#pragma once
// Methods whose attribution is one backward sweep with per-node rules (models/backprop.h): the LRP
// family, DTD, Excitation Backprop, DeepLIFT, RectGrad, PatternNet / PatternAttribution, and the
// plain gradient (no rules). prepare() exposes the sweep so that CSC (metrics/csc.h) can start it
// from its own signal at any layer and read the signal at every layer.
#include <functional>

#include "attribution/method.h"
#include "models/backprop.h"

namespace sanity {

// One batch's sweep: the model's forward values, the rules, and how the signal that reaches the
// input becomes the attribution. The model itself is never modified.
struct Sweep {
  Tensors acts;   // Graph::forward_all(x)
  RuleSet rules;  // one slot per node; null: the layer's own gradient. Rules may hold batch state.
  std::function<Tensor(const Tensor& input_signal)> finish;  // DeepLIFT: times (x - x'); empty: identity
};

// The signal that starts an attribution at the logits: the one-hot target, or the one-hot target
// times its logit so that the relevance at the output equals the logit (LRP, Zennit-style).
enum class SeedScale { One, Logit };

class BackpropMethod : public Method {
 public:
  virtual Sweep prepare(const AttributionContext& ctx, const Tensor& x) const = 0;
  virtual SeedScale seed_scale() const { return SeedScale::One; }
  // Splits x into chunks of ctx.batch_size, seeds the logits with the targets, sweeps, finishes.
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override;
};

using BackpropMethodPtr = std::shared_ptr<const BackpropMethod>;

// The plain gradient as a sweep without rules: what CSC uses for "gradient" when the registered
// gradient method does not expose its sweep.
BackpropMethodPtr make_gradient_sweep();

// The seed for `targets` at the logits of `acts`.
Tensor logit_seed(const Graph& model, const Tensors& acts, const Tensor& targets, SeedScale scale);

}  // namespace sanity
