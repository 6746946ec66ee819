// RectGrad (Kim et al. 2019), as Sixt et al. ran it: the gradient, except that at every ReLU with
// output y and incoming gradient g only the entries where y * g exceeds the q-th percentile of
// y * g over that sample (all channels and positions) pass; the rest become 0.
#include "attribution/backprop_method.h"
#include "attribution/modified_backprop.h"
#include "core/error.h"

namespace sanity {
namespace {

// Per-sample q-th percentile (0..100, linear interpolation as numpy) of [N, ...], as [N].
Tensor percentile_per_sample(const Tensor& t, double q) {
  const Tensor flat = t.reshape({t.size(0), -1});
  const int64_t n = flat.size(1);
  const double pos = q / 100.0 * static_cast<double>(n - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(pos)), hi = std::min(lo + 1, n - 1);
  const Tensor vlo = std::get<0>(flat.kthvalue(lo + 1, 1));
  if (hi == lo || pos == static_cast<double>(lo)) return vlo;
  const Tensor vhi = std::get<0>(flat.kthvalue(hi + 1, 1));
  return vlo + (pos - static_cast<double>(lo)) * (vhi - vlo);
}

class RectGradRule : public BackwardRule {
 public:
  explicit RectGradRule(double q) : q_(q) {}
  Tensors backward(const BackwardCall& call) const override {
    const Tensor yg = call.output * call.grad;
    std::vector<int64_t> shape(static_cast<size_t>(yg.dim()), 1);
    shape[0] = -1;
    const Tensor tau = percentile_per_sample(yg, q_).view(shape);
    return {call.grad * (yg > tau).to(call.grad.scalar_type())};
  }

 private:
  double q_;
};

class RectGrad : public BackpropMethod {
 public:
  RectGrad(MethodSpec spec, double q) : spec_(std::move(spec)), rule_(std::make_shared<RectGradRule>(q)) {}
  MethodSpec spec() const override { return spec_; }
  MapKind map_kind() const override { return MapKind::Sensitivity; }  // a sparsified gradient
  Sweep prepare(const AttributionContext& ctx, const Tensor& x) const override {
    const Graph& g = ctx.model;
    Sweep s{g.forward_all(x), RuleSet(static_cast<size_t>(g.size())), {}};
    for (int k = 1; k < g.size(); ++k)
      if (g.node(k).layer->kind() == LayerKind::ReLU) s.rules[k] = rule_;
    return s;
  }

 private:
  MethodSpec spec_;
  std::shared_ptr<RectGradRule> rule_;
};

}  // namespace

void register_rectgrad_method(MethodRegistry& r) {
  Option q = number_option("q", 98, "percentile of activation * gradient below which the signal stops");
  q.check = [](const std::string& v) { return std::stod(v) < 0 || std::stod(v) > 100 ? "must be a percentile in [0, 100]" : ""; };
  r.add({{"rectgrad", "RectGrad: at each ReLU pass only gradient whose activation * gradient exceeds the q-th percentile",
          {q}},
         [](const MethodSpec& spec) -> MethodPtr { return std::make_shared<RectGrad>(spec, spec.get_double("q", 98)); },
         families::kModifiedBackprop});
}

}  // namespace sanity
