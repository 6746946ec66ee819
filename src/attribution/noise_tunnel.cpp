#include "attribution/noise_tunnel.h"

#include <deque>
#include <mutex>
#include <optional>

#include "attribution/options.h"
#include "attribution/registry.h"
#include "attribution/sweep.h"
#include "core/rng.h"
#include "models/fingerprint.h"

namespace sanity {

NoiseTunnelResult noise_tunnel(const Method& inner, const AttributionContext& ctx, const Tensor& x,
                               const Tensor& targets, int64_t n, double sigma, bool want_variance) {
  torch::NoGradGuard no_grad;
  const int64_t count = x.size(0);
  const Tensor id_tensor = image_ids_or_range(ctx, count).contiguous();
  const std::vector<int64_t> ids(id_tensor.data_ptr<int64_t>(), id_tensor.data_ptr<int64_t>() + count);
  const Tensor t = targets.to(x.device(), torch::kInt64);
  const Tensor flat = x.reshape({count, -1});
  const Tensor scale = ((flat.amax(1) - flat.amin(1)) * sigma).to(torch::kCPU, torch::kFloat64).contiguous();
  const auto sample_shape = x.sizes().slice(1);
  const auto device_ids = [&](std::vector<int64_t> v) {
    return torch::tensor(v, torch::kInt64).to(x.device());
  };

  // The n noise samples of one image, drawn when its first row is needed (rows are image-major).
  int64_t noise_of = -1;
  Tensor noise;
  auto image_noise = [&](int64_t i) -> const Tensor& {
    if (noise_of != i) {
      std::vector<int64_t> shape{n};
      shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
      at::Generator gen = make_generator(derive_seed(ctx.seed, "smoothgrad", static_cast<uint64_t>(ids[i])));
      noise = torch::randn(shape, gen, torch::TensorOptions().dtype(x.scalar_type())).to(x.device());
      noise.mul_(scale[i].item<double>());
      noise_of = i;
    }
    return noise;
  };

  Tensor sum = torch::zeros_like(x), sum_sq, shift;
  if (want_variance) {
    sum_sq = torch::zeros_like(x);
    shift = torch::zeros_like(x);
  }
  // Wrapped methods that draw noise themselves get their own stream, keyed by (image, sample).
  const uint64_t inner_seed = derive_seed(ctx.seed, "smoothgrad_inner");
  for_each_chunk(count * n, ctx.batch_size, [&](int64_t start, int64_t len) {
    std::vector<int64_t> sizes{len};
    sizes.insert(sizes.end(), sample_shape.begin(), sample_shape.end());
    Tensor rows = torch::empty(sizes, x.options());
    std::vector<int64_t> img(static_cast<size_t>(len)), inner_ids(static_cast<size_t>(len)), first_rows,
        first_imgs;
    for (int64_t r = start; r < start + len;) {
      const int64_t i = r / n, j = r % n, seg = std::min(start + len, (i + 1) * n) - r;
      rows.narrow(0, r - start, seg).copy_(image_noise(i).narrow(0, j, seg)).add_(x[i]);
      for (int64_t k = 0; k < seg; ++k) {
        img[r - start + k] = i;
        inner_ids[r - start + k] = ids[i] * n + j + k;
      }
      if (j == 0) {
        first_rows.push_back(r - start);
        first_imgs.push_back(i);
      }
      r += seg;
    }
    const Tensor img_t = device_ids(img);
    // Everything else (training data and patterns folder for smoothgrad(pattern_attribution), ...)
    // passes through as the caller gave it.
    AttributionContext inner_ctx = ctx;
    inner_ctx.seed = inner_seed;
    inner_ctx.image_ids = torch::tensor(inner_ids);
    inner_ctx.diagnostics = nullptr;
    Tensor out = inner.attribute(inner_ctx, rows, t.index_select(0, img_t));
    sum.index_add_(0, img_t, out);
    if (want_variance) {
      // Moments about each image's first sample: exact zeros when all samples agree (sigma = 0),
      // and no cancellation when the variance is small next to the mean.
      if (!first_rows.empty())
        shift.index_copy_(0, device_ids(first_imgs), out.index_select(0, device_ids(first_rows)));
      Tensor d = out - shift.index_select(0, img_t);
      sum_sq.index_add_(0, img_t, d * d);
    }
  });
  NoiseTunnelResult r;
  r.mean = sum / static_cast<double>(n);
  if (want_variance) {
    const Tensor mean_d = r.mean - shift;
    r.variance = (sum_sq / static_cast<double>(n) - mean_d * mean_d).clamp_min_(0);
  }
  return r;
}

namespace {

// SmoothGrad(M) and VarGrad(M) with equal n, sigma and seed summarize the same noisy copies, and a
// study explains the same images with both: each pass keeps its mean and variance here, keyed by
// everything the result depends on, so the second method reads them instead of running M n times
// again. Results are identical either way (both always accumulate the variance as well).
class TunnelCache {
 public:
  static TunnelCache& instance() {
    static TunnelCache c;
    return c;
  }
  std::optional<NoiseTunnelResult> find(uint64_t key) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (e.key == key) return e.result;
    return std::nullopt;
  }
  void add(uint64_t key, const NoiseTunnelResult& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t bytes = r.mean.nbytes() + r.variance.nbytes();
    if (bytes > kMaxBytes) return;
    entries_.push_front({key, r, bytes});
    bytes_ += bytes;
    while (bytes_ > kMaxBytes) {
      bytes_ -= entries_.back().bytes;
      entries_.pop_back();
    }
  }

 private:
  static constexpr size_t kMaxBytes = size_t{256} << 20;
  struct Entry {
    uint64_t key;
    NoiseTunnelResult result;
    size_t bytes;
  };
  std::mutex mutex_;
  std::deque<Entry> entries_;
  size_t bytes_ = 0;
};

uint64_t tunnel_key(const Method& inner, const AttributionContext& ctx, const Tensor& x, const Tensor& targets,
                    int64_t n, double sigma) {
  uint64_t h = fnv1a(kFnvOffset, inner.spec().str());
  const int64_t numbers[3] = {n, ctx.batch_size, static_cast<int64_t>(ctx.seed)};
  h = fnv1a(h, numbers, sizeof numbers);
  h = fnv1a(h, &sigma, sizeof sigma);
  h = fnv1a(h, x.device().str());
  h = fnv1a(h, x);
  h = fnv1a(h, targets.to(torch::kInt64));
  h = fnv1a(h, image_ids_or_range(ctx, x.size(0)));
  const uint64_t model = model_fingerprint(ctx.model);
  return fnv1a(h, &model, sizeof model);
}

class NoiseTunnel : public Method {
 public:
  NoiseTunnel(bool variance, MethodPtr inner, int64_t n, double sigma)
      : variance_(variance), inner_(std::move(inner)), n_(n), sigma_(sigma) {}

  MethodSpec spec() const override {
    return {variance_ ? "vargrad" : "smoothgrad", {inner_->spec()},
            {{"n", std::to_string(n_)}, {"sigma", format_number(sigma_)}}};
  }

  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, variance_ ? "vargrad" : "smoothgrad");
    const uint64_t key = tunnel_key(*inner_, ctx, x, targets, n_, sigma_);
    std::optional<NoiseTunnelResult> r = TunnelCache::instance().find(key);
    if (!r) {
      r = noise_tunnel(*inner_, ctx, x, targets, n_, sigma_, /*want_variance=*/true);
      TunnelCache::instance().add(key, *r);
    }
    return (variance_ ? r->variance : r->mean).clone();  // callers may edit it in place; the cache keeps its own
  }

  bool uses_model() const override { return inner_->uses_model(); }
  MapKind map_kind() const override { return inner_->map_kind(); }  // vargrad's is >= 0: no matter

 private:
  bool variance_;
  MethodPtr inner_;
  int64_t n_;
  double sigma_;
};

MethodInfo noise_tunnel_info(bool variance, std::string summary) {
  return {variance ? "vargrad" : "smoothgrad", std::move(summary), {"n", "sigma"}, 1,
          [variance](const MethodSpec& s) -> MethodPtr {
            const int64_t n = get_int_at_least(s, "n", 50, 1);
            const double sigma = get_double_at_least(s, "sigma", 0.15, 0.0);
            return std::make_shared<NoiseTunnel>(variance, MethodRegistry::instance().make(s.methods.at(0)), n, sigma);
          }};
}

}  // namespace

void register_wrapper_methods(MethodRegistry& r) {
  r.add(noise_tunnel_info(false, "mean of M over n noisy copies (Smilkov et al. 2017): smoothgrad(M, n=50, "
                                 "sigma=0.15), sigma a fraction of each image's range"));
  r.add(noise_tunnel_info(true, "variance of M over n noisy copies (Adebayo et al. 2018): vargrad(M, n=50, "
                                "sigma=0.15); the authors' helper used n=25"));
}

}  // namespace sanity
