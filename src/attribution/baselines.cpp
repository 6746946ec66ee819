#include "attribution/baselines.h"

#include <cmath>

#include "attribution/options.h"
#include "attribution/registry.h"
#include "attribution/sweep.h"
#include "core/error.h"
#include "core/rng.h"

namespace sanity {

Tensor sobel_magnitude(const Tensor& x) {
  torch::NoGradGuard no_grad;
  const auto opt = x.options();
  const Tensor smooth = torch::tensor({1.0, 2.0, 1.0}, opt), diff = torch::tensor({-1.0, 0.0, 1.0}, opt);
  // d/dx (columns) and d/dy (rows) as the two output channels of one convolution. conv2d is a
  // correlation, so these kernels give right minus left, as scipy.ndimage.sobel does.
  const Tensor kernels = torch::stack({torch::outer(smooth, diff), torch::outer(diff, smooth)}).unsqueeze(1);
  const Tensor padded = at::replication_pad2d(x.reshape({-1, 1, x.size(2), x.size(3)}), {1, 1, 1, 1});
  const Tensor g = at::conv2d(padded, kernels);  // [N*C, 2, H, W]
  return at::hypot(g.select(1, 0), g.select(1, 1)).reshape(x.sizes());
}

namespace {

class Sobel : public Method {
 public:
  MethodSpec spec() const override { return {"sobel", {}, {}}; }
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, "sobel");
    return sobel_magnitude(x);
  }
  bool uses_model() const override { return false; }
};

class Noise : public Method {
 public:
  explicit Noise(std::string distribution) : distribution_(std::move(distribution)) {}
  MethodSpec spec() const override { return {"noise", {}, {{"distribution", distribution_}}}; }
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, "noise");
    const Tensor ids = image_ids_or_range(ctx, x.size(0)).contiguous();
    const int64_t* id = ids.data_ptr<int64_t>();
    Tensor out = torch::empty(x.sizes(), x.options().device(torch::kCPU));
    for (int64_t i = 0; i < x.size(0); ++i) {
      at::Generator gen = make_generator(derive_seed(ctx.seed, "noise_baseline", static_cast<uint64_t>(id[i])));
      if (distribution_ == "uniform") out[i].uniform_(0.0, 1.0, gen);
      else out[i].normal_(0.0, 1.0, gen);
    }
    return out.to(x.device());
  }
  bool uses_model() const override { return false; }

 private:
  std::string distribution_;
};

class Constant : public Method {
 public:
  explicit Constant(double value) : value_(value) {}
  MethodSpec spec() const override { return {"constant", {}, {{"value", format_number(value_)}}}; }
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, "constant");
    return torch::full_like(x, value_);
  }
  bool uses_model() const override { return false; }

 private:
  double value_;
};

}  // namespace

void register_baseline_methods(MethodRegistry& r) {
  r.add({"sobel", "baseline: Sobel edge magnitude of the input, per channel (ignores the model)", {}, 0,
         [](const MethodSpec&) { return std::make_shared<Sobel>(); }});
  r.add({"noise", "baseline: i.i.d. noise per pixel (ignores the model); distribution (normal|uniform)",
         {"distribution"}, 0,
         [](const MethodSpec& s) { return std::make_shared<Noise>(get_choice(s, "distribution", {"normal", "uniform"})); }});
  r.add({"constant", "baseline: the same value everywhere (ignores the model); value (1)", {"value"}, 0,
         [](const MethodSpec& s) {
           const double v = s.get_double("value", 1.0);
           if (!std::isfinite(v)) throw InputError("method constant: option value must be a finite number");
           return std::make_shared<Constant>(v);
         }});
}

}  // namespace sanity
