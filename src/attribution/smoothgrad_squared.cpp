// SmoothGrad-squared (Hooker et al. 2019's SG-SQ; Captum's NoiseTunnel nt_type="smoothgrad_sq"):
//   smoothgrad_squared(M) = (1/n) sum_i M(x + g_i)^2
// over the same noisy copies as smoothgrad(M) and vargrad(M) with equal n, sigma and seed
// (noise_tunnel.h), so smoothgrad_squared(M) = vargrad(M) + smoothgrad(M)^2.
#include "attribution/noise_tunnel.h"
#include "attribution/sweep.h"

namespace sanity {
namespace {

// M(x)^2, as the noise tunnel's inner method: the tunnel's mean is then the mean of squares.
class Squared : public Method {
 public:
  explicit Squared(MethodPtr inner) : inner_(std::move(inner)) {}
  MethodSpec spec() const override { return {"squared", {inner_->spec()}, {}}; }
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    return inner_->attribute(ctx, x, targets).square_();
  }

 private:
  MethodPtr inner_;
};

class SmoothGradSquared : public Method {
 public:
  SmoothGradSquared(MethodPtr inner, int64_t n, double sigma)
      : inner_(std::move(inner)), squared_(inner_), n_(n), sigma_(sigma) {}

  MethodSpec spec() const override {
    return {"smoothgrad_squared", {inner_->spec()}, {{"n", std::to_string(n_)}, {"sigma", format_number(sigma_)}}};
  }
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, "smoothgrad_squared");
    return noise_tunnel(squared_, ctx, x, targets, n_, sigma_, /*want_variance=*/false).mean;
  }
  bool uses_model() const override { return inner_->uses_model(); }
  MapKind map_kind() const override { return inner_->map_kind(); }  // >= 0: either order is the same
  int64_t rows_per_image() const override { return n_ * inner_->rows_per_image(); }

 private:
  MethodPtr inner_;
  Squared squared_;
  int64_t n_;
  double sigma_;
};

}  // namespace

void register_smoothgrad_squared(MethodRegistry& r) {
  r.add({{"smoothgrad_squared", "mean of M^2 over the noisy copies of smoothgrad(M) (Hooker et al. 2019, Captum's "
                                "smoothgrad_sq)",
          noise_tunnel_options(), 1},
         [](const MethodSpec& s) -> MethodPtr {
           return std::make_shared<SmoothGradSquared>(MethodRegistry::instance().make(s.methods.at(0)), s.get_int("n", 50),
                                                      s.get_double("sigma", 0.15));
         }});
}

}  // namespace sanity
