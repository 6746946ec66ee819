#include "attribution/baselines.h"

#include <cmath>
#include <cstring>

#include <ATen/Parallel.h>

#include "attribution/registry.h"
#include "attribution/sweep.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/runtime.h"

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

// A cheap signature of the model's weights (sum and sum of squares of up to 1,024 evenly spaced
// values per parameter tensor, bit for bit): the noise baseline draws afresh for every model, as
// Binder et al. intend (an uninformative map is a new draw each time it is computed, so
// randomization checks score it near zero), yet reproducibly. Sampling keeps it at microseconds
// (the full weights took longer than the draws); re-drawing or retraining a layer changes every
// sampled value.
uint64_t weights_signature(const Graph& model) {
  SANITY_HOST_PHASE("noise seed");  // summed on the host: the same seed whatever the device's rounding
  constexpr int64_t kSamples = 1024;
  double sum = 0, squares = 0;
  for (const auto& n : model.nodes())
    for (const auto& p : n.layer->params()) {
      const Tensor flat = p.value.detach().reshape({-1});
      const int64_t step = std::max<int64_t>(1, flat.numel() / kSamples);
      const Tensor v = flat.slice(0, 0, flat.numel(), step).to(torch::kCPU, torch::kFloat64);
      sum += v.sum().item<double>();
      squares += v.square().sum().item<double>();
    }
  uint64_t a, b;
  std::memcpy(&a, &sum, sizeof a);
  std::memcpy(&b, &squares, sizeof b);
  return a ^ (b * 0x9E3779B97F4A7C15ull);
}

class Noise : public Method {
 public:
  explicit Noise(std::string distribution) : distribution_(std::move(distribution)) {}
  MethodSpec spec() const override { return {"noise", {}, {{"distribution", distribution_}}}; }
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, "noise");
    const Tensor ids = image_ids_or_range(ctx, x.size(0)).contiguous();
    const int64_t* id = ids.data_ptr<int64_t>();
    Tensor out = torch::empty(x.sizes(), x.options().device(torch::kCPU));
    const uint64_t model_seed = derive_seed(ctx.seed, "noise_baseline", weights_signature(ctx.model));
    // One generator per image, so images are drawn in parallel and each map depends only on its id.
    at::parallel_for(0, x.size(0), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        at::Generator gen = make_generator(derive_seed(model_seed, "image", static_cast<uint64_t>(id[i])));
        if (distribution_ == "uniform") out[i].uniform_(0.0, 1.0, gen);
        else out[i].normal_(0.0, 1.0, gen);
      }
    });
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
  r.add({{"sobel", "baseline: Sobel edge magnitude of the input, per channel (ignores the model)", {}},
         [](const MethodSpec&) { return std::make_shared<Sobel>(); }, families::kBaselines});
  r.add({{"noise", "baseline: i.i.d. noise per pixel, a fresh draw for every model (ignores the model)",
          {choice_option("distribution", {"normal", "uniform"}, "standard normal or uniform on [0, 1]")}},
         [](const MethodSpec& s) { return std::make_shared<Noise>(s.get_string("distribution", "normal")); },
         families::kBaselines});
  r.add({{"constant", "baseline: the same value everywhere (ignores the model)",
          {number_option("value", 1, "the value of every pixel")}},
         [](const MethodSpec& s) { return std::make_shared<Constant>(s.get_double("value", 1.0)); }, families::kBaselines});
}

}  // namespace sanity
