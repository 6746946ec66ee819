#include "attribution/integrated_gradients.h"

#include <cmath>

#include "attribution/expanded_rows.h"
#include "attribution/sweep.h"
#include "core/error.h"
#include "core/rng.h"

namespace sanity {

const std::vector<std::string>& quadrature_rules() {
  static const std::vector<std::string> r{"linspace", "left", "right", "midpoint", "trapezoid"};
  return r;
}

const std::vector<std::string>& ig_baselines() {
  static const std::vector<std::string> b{"zero", "uniform", "blur"};
  return b;
}

Quadrature make_quadrature(const std::string& rule, int64_t m) {
  const bool ends = rule == "linspace" || rule == "trapezoid";
  if (m < (ends ? 2 : 1))
    throw InputError("method integrated_gradients: option steps=" + std::to_string(m) + " must be at least " +
                     (ends ? "2" : "1") + " with rule=" + rule);
  Quadrature q;
  for (int64_t k = 0; k < m; ++k) {
    const double km = static_cast<double>(k), mm = static_cast<double>(m);
    if (rule == "linspace" || rule == "trapezoid") q.alphas.push_back(km / (mm - 1));
    else if (rule == "left") q.alphas.push_back(km / mm);
    else if (rule == "right") q.alphas.push_back((km + 1) / mm);
    else if (rule == "midpoint") q.alphas.push_back((km + 0.5) / mm);
    else throw InputError("integrated_gradients: unknown rule '" + rule + "'");
    if (rule == "trapezoid") q.weights.push_back((k == 0 || k == m - 1 ? 0.5 : 1.0) / (mm - 1));
    else q.weights.push_back(1.0 / mm);
  }
  return q;
}

Tensor gaussian_blur(const Tensor& x, double sigma) {
  if (sigma <= 0) return x.clone();
  const int64_t r = static_cast<int64_t>(std::ceil(3 * sigma));
  Tensor i = torch::arange(-r, r + 1, x.options());
  Tensor k = torch::exp(-(i * i) / (2 * sigma * sigma));
  k = k / k.sum();
  // Separable: rows then columns, each channel on its own.
  Tensor flat = x.reshape({-1, 1, x.size(2), x.size(3)});
  Tensor padded = at::replication_pad2d(flat, {r, r, r, r});
  Tensor y = at::conv2d(padded, k.view({1, 1, 1, -1}));
  y = at::conv2d(y, k.view({1, 1, -1, 1}));
  return y.reshape(x.sizes());
}

Tensor ig_baseline(const std::string& kind, const Tensor& x, const Tensor& image_ids, uint64_t seed,
                   double blur_sigma) {
  if (kind == "zero") return torch::zeros_like(x);
  if (kind == "blur") return gaussian_blur(x, blur_sigma);
  if (kind == "uniform") {
    Tensor out = torch::empty_like(x);
    for (int64_t i = 0; i < x.size(0); ++i) {
      at::Generator gen = make_generator(derive_seed(seed, "ig_uniform_baseline", image_ids[i].item<int64_t>()));
      Tensor xi = x[i];
      const double lo = xi.min().item<double>(), hi = xi.max().item<double>();
      Tensor u = torch::rand(xi.sizes(), gen, torch::TensorOptions().dtype(x.scalar_type()));
      out[i].copy_(u * (hi - lo) + lo);
    }
    return out;
  }
  throw InputError("integrated_gradients: unknown baseline '" + kind + "'");
}

namespace {

class IntegratedGradients : public Method {
 public:
  IntegratedGradients(int64_t steps, std::string baseline, std::string rule, double blur_sigma)
      : steps_(steps), baseline_(std::move(baseline)), rule_(std::move(rule)), blur_sigma_(blur_sigma),
        quadrature_(make_quadrature(rule_, steps_)) {}

  MethodSpec spec() const override {
    MethodSpec s{"integrated_gradients", {}, {{"steps", std::to_string(steps_)}, {"baseline", baseline_}, {"rule", rule_}}};
    if (baseline_ == "blur") s.options["blur_sigma"] = format_number(blur_sigma_);
    return s;
  }

  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, "integrated_gradients");
    torch::NoGradGuard no_grad;
    const int64_t n = x.size(0), m = steps_;
    const Tensor t = targets.to(x.device(), torch::kInt64);
    const Tensor base = ig_baseline(baseline_, x, image_ids_or_range(ctx, n), ctx.seed, blur_sigma_).to(x.device());
    const Tensor diff = x - base;
    const Tensor alphas = torch::tensor(quadrature_.alphas, torch::kFloat64).to(x.device(), x.scalar_type());
    const Tensor weights = torch::tensor(quadrature_.weights, torch::kFloat64).to(x.device(), x.scalar_type());
    const std::vector<int64_t> per_row{-1, 1, 1, 1};
    // Rows are (image, step) pairs, image-major; each chunk is one forward and one backward sweep.
    Tensor sum = torch::zeros_like(x);
    for_each_row_chunk(n, m, ctx.batch_size, /*within_image=*/false, [&](const RowChunk& chunk) {
      const Tensor img = chunk.image_index(x.device()), step = chunk.copy_index(x.device());
      Tensor points = base.index_select(0, img).addcmul_(alphas.index_select(0, step).view(per_row),
                                                         diff.index_select(0, img));
      Tensor g = input_signal(ctx.model, points, t.index_select(0, img));
      // Summed in the images' dtype: under bf16 autocast (core/precision.h) g is bfloat16.
      sum.index_add_(0, img, g.to(sum.scalar_type()).mul_(weights.index_select(0, step).view(per_row)));
    });
    Tensor e = diff * sum;
    if (ctx.diagnostics) {
      Tensor delta = target_logits(ctx.model, x, t, ctx.batch_size) - target_logits(ctx.model, base, t, ctx.batch_size);
      (*ctx.diagnostics)["completeness_gap"] = e.sum({1, 2, 3}) - delta;
      (*ctx.diagnostics)["output_difference"] = delta;
    }
    return e;
  }
  int64_t rows_per_image() const override { return steps_; }

 private:
  int64_t steps_;
  std::string baseline_, rule_;
  double blur_sigma_;
  Quadrature quadrature_;
};

}  // namespace

const std::vector<Option>& integrated_gradients_options() {
  static const std::vector<Option> o{
      integer_option("steps", 50, "points on the path (m)", 1, 100000),
      choice_option("baseline", ig_baselines(),
                    "x': zero in the model's input space, uniform noise in [min x, max x] per image, or x blurred"),
      choice_option("rule", quadrature_rules(),
                    "quadrature: linspace (the authors' equal weights at linspace(0, 1, m)), left, right, midpoint, "
                    "trapezoid"),
      optional(number_option("blur_sigma", 5, "Gaussian sigma in pixels of baseline=blur (default 5)", 0))};
  return o;
}

MethodPtr make_integrated_gradients(const MethodSpec& spec) {
  const std::string baseline = spec.get_string("baseline", "zero");
  if (spec.has("blur_sigma") && baseline != "blur")
    throw InputError("method integrated_gradients: option blur_sigma applies only with baseline=blur");
  return std::make_shared<IntegratedGradients>(spec.get_int("steps", 50), baseline, spec.get_string("rule", "linspace"),
                                               spec.get_double("blur_sigma", 5.0));
}

}  // namespace sanity
