#include "attribution/noise_tunnel.h"

#include <deque>
#include <mutex>
#include <optional>

#include "attribution/expanded_rows.h"
#include "attribution/registry.h"
#include "attribution/sweep.h"
#include "core/precision.h"
#include "core/rng.h"
#include "models/fingerprint.h"

namespace sanity {

namespace {

torch::Tensor device_index(const std::vector<int64_t>& v, torch::Device device) {
  return torch::tensor(v, torch::kInt64).to(device);
}

// The n noise samples of one image, drawn when its first row is needed (rows are image-major), from
// (seed, image id) and scaled by sigma * (max x - min x) of that image.
class ImageNoise {
 public:
  ImageNoise(const Tensor& x, const std::vector<int64_t>& ids, int64_t n, double sigma, uint64_t seed)
      : x_(x), ids_(ids), n_(n), seed_(seed) {
    const Tensor flat = x.reshape({x.size(0), -1});
    scale_ = ((flat.amax(1) - flat.amin(1)) * sigma).to(torch::kCPU, torch::kFloat64).contiguous();
  }
  const Tensor& of(int64_t i) {
    if (noise_of_ != i) {
      std::vector<int64_t> shape{n_};
      shape.insert(shape.end(), x_.sizes().begin() + 1, x_.sizes().end());
      at::Generator gen = make_generator(derive_seed(seed_, "smoothgrad", static_cast<uint64_t>(ids_[i])));
      noise_ = torch::randn(shape, gen, torch::TensorOptions().dtype(x_.scalar_type())).to(x_.device());
      noise_.mul_(scale_[i].item<double>());
      noise_of_ = i;
    }
    return noise_;
  }

 private:
  const Tensor& x_;
  const std::vector<int64_t>& ids_;
  int64_t n_;
  uint64_t seed_;
  Tensor scale_, noise_;
  int64_t noise_of_ = -1;
};

// Sums of the maps and, for the variance, of squared deviations from each image's first sample:
// exact zeros when all samples agree (sigma = 0), and no cancellation when the variance is small
// next to the mean.
struct Moments {
  Tensor sum, sum_sq, shift;
  Moments(const Tensor& x, bool variance) : sum(torch::zeros_like(x)) {
    if (!variance) return;
    sum_sq = torch::zeros_like(x);
    shift = torch::zeros_like(x);
  }
  void add(const Tensor& maps, const Tensor& img, const RowChunk& chunk) {
    const Tensor out = maps.to(sum.scalar_type());  // in float32 also when the maps came in bf16 (autocast)
    sum.index_add_(0, img, out);
    if (!sum_sq.defined()) return;
    std::vector<int64_t> first_rows, first_imgs;
    for (const RowSegment& seg : chunk.segments)
      if (seg.first_copy == 0) {
        first_rows.push_back(seg.offset);
        first_imgs.push_back(seg.image);
      }
    if (!first_rows.empty())
      shift.index_copy_(0, device_index(first_imgs, out.device()), out.index_select(0, device_index(first_rows, out.device())));
    Tensor d = out - shift.index_select(0, img);
    sum_sq.index_add_(0, img, d * d);
  }
  NoiseTunnelResult finish(int64_t n) const {
    NoiseTunnelResult r;
    r.mean = sum / static_cast<double>(n);
    if (sum_sq.defined()) {
      const Tensor mean_d = r.mean - shift;
      r.variance = (sum_sq / static_cast<double>(n) - mean_d * mean_d).clamp_min_(0);
    }
    return r;
  }
};

}  // namespace

NoiseTunnelResult noise_tunnel(const Method& inner, const AttributionContext& ctx, const Tensor& x,
                               const Tensor& targets, int64_t n, double sigma, bool want_variance) {
  torch::NoGradGuard no_grad;
  const int64_t count = x.size(0);
  const Tensor id_tensor = image_ids_or_range(ctx, count).contiguous();
  const std::vector<int64_t> ids(id_tensor.data_ptr<int64_t>(), id_tensor.data_ptr<int64_t>() + count);
  const Tensor t = targets.to(x.device(), torch::kInt64);
  ImageNoise noise(x, ids, n, sigma, ctx.seed);
  Moments moments(x, want_variance);
  // Wrapped methods that draw noise themselves get their own stream, keyed by (image, sample).
  const uint64_t inner_seed = derive_seed(ctx.seed, "smoothgrad_inner");
  for_each_row_chunk(count, n, ctx.batch_size, /*within_image=*/false, [&](const RowChunk& chunk) {
    std::vector<int64_t> sizes{chunk.length};
    sizes.insert(sizes.end(), x.sizes().begin() + 1, x.sizes().end());
    Tensor rows = torch::empty(sizes, x.options());
    for (const RowSegment& seg : chunk.segments)
      rows.narrow(0, seg.offset, seg.count).copy_(noise.of(seg.image).narrow(0, seg.first_copy, seg.count)).add_(x[seg.image]);
    const std::vector<int64_t> img = chunk.images(), copy = chunk.copies();
    std::vector<int64_t> inner_ids(img.size());
    for (size_t r = 0; r < img.size(); ++r) inner_ids[r] = ids[static_cast<size_t>(img[r])] * n + copy[r];
    const Tensor img_t = device_index(img, x.device());
    // Everything else (training data and patterns folder for smoothgrad(pattern_attribution), ...)
    // passes through as the caller gave it.
    AttributionContext inner_ctx = ctx;
    inner_ctx.seed = inner_seed;
    inner_ctx.image_ids = torch::tensor(inner_ids);
    inner_ctx.diagnostics = nullptr;
    moments.add(inner.attribute(inner_ctx, rows, t.index_select(0, img_t)), img_t, chunk);
  });
  return moments.finish(n);
}

namespace {

// SmoothGrad(M), VarGrad(M) and SmoothGrad-squared(M) with equal n, sigma and seed summarize the same
// noisy copies, and a study explains the same images with all of them: each pass keeps its mean and
// variance here, keyed by everything the result depends on, so the next method reads them instead of
// running M n times again. Results are identical either way (every pass accumulates the variance).
class TunnelCache {
 public:
  static TunnelCache& instance() {
    static TunnelCache c;
    return c;
  }
  std::optional<NoiseTunnelResult> find(const ContentKey::Digest& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (e.key == key) return e.result;
    return std::nullopt;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    bytes_ = 0;
  }
  void add(const ContentKey::Digest& key, const NoiseTunnelResult& r) {
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
    ContentKey::Digest key;
    NoiseTunnelResult result;
    size_t bytes;
  };
  std::mutex mutex_;
  std::deque<Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace

void forget_noise_tunnel_results() { TunnelCache::instance().clear(); }

namespace {

ContentKey::Digest tunnel_key(const Method& inner, const AttributionContext& ctx, const Tensor& x, const Tensor& targets,
                              int64_t n, double sigma) {
  return ContentKey()
      .add(inner.spec().str())
      .add(n)
      .add(ctx.batch_size)
      .add(ctx.seed)
      .add(sigma)
      .add(x.device().str())
      .add(static_cast<int64_t>(arithmetic_key(x.device().type())))  // bf16 maps never serve float32
      .add(x)
      .add(targets.to(torch::kInt64))
      .add(image_ids_or_range(ctx, x.size(0)))
      .add(model_fingerprint(ctx.model))
      .digest();
}

// What a noise tunnel reports of M over the noisy copies: SmoothGrad's mean (Smilkov et al. 2017),
// VarGrad's population variance (Adebayo et al. 2018), or SmoothGrad-squared's mean of M^2 (Hooker
// et al. 2019's SG-SQ, Captum's smoothgrad_sq), which is variance + mean^2 of the same copies.
enum class Summary { Mean, Variance, MeanOfSquares };

const char* summary_name(Summary s) {
  switch (s) {
    case Summary::Mean: return "smoothgrad";
    case Summary::Variance: return "vargrad";
    case Summary::MeanOfSquares: return "smoothgrad_squared";
  }
  return "?";
}

class NoiseTunnel : public Method {
 public:
  NoiseTunnel(Summary summary, MethodPtr inner, int64_t n, double sigma)
      : summary_(summary), inner_(std::move(inner)), n_(n), sigma_(sigma) {}

  MethodSpec spec() const override {
    return {summary_name(summary_), {inner_->spec()}, {{"n", std::to_string(n_)}, {"sigma", format_number(sigma_)}}};
  }

  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    check_attribution_inputs(ctx, x, targets, summary_name(summary_));
    const ContentKey::Digest key = tunnel_key(*inner_, ctx, x, targets, n_, sigma_);
    std::optional<NoiseTunnelResult> r = TunnelCache::instance().find(key);
    if (!r) {
      r = noise_tunnel(*inner_, ctx, x, targets, n_, sigma_, /*want_variance=*/true);
      TunnelCache::instance().add(key, *r);
    }
    switch (summary_) {  // new tensors: callers may edit them in place, the cache keeps its own
      case Summary::Mean: return r->mean.clone();
      case Summary::Variance: return r->variance.clone();
      case Summary::MeanOfSquares: return r->variance + r->mean.square();
    }
    return {};
  }

  bool uses_model() const override { return inner_->uses_model(); }
  MapKind map_kind() const override { return inner_->map_kind(); }  // vargrad's is >= 0: no matter
  // One pass of noisy copies serves smoothgrad(M), vargrad(M) and smoothgrad_squared(M) (the cache above).
  std::string shared_work() const override {
    return "noise_tunnel(" + inner_->spec().str() + ", n=" + std::to_string(n_) + ", sigma=" + format_number(sigma_) + ")";
  }
  int64_t rows_per_image() const override { return n_ * inner_->rows_per_image(); }

 private:
  Summary summary_;
  MethodPtr inner_;
  int64_t n_;
  double sigma_;
};

}  // namespace

const std::vector<Option>& noise_tunnel_options() {
  static const std::vector<Option> o{integer_option("n", 50, "noisy copies per image", 1, 100000),
                                     number_option("sigma", 0.15, "noise std as a fraction of each image's range", 0)};
  return o;
}

void register_wrapper_methods(MethodRegistry& r) {
  const auto info = [](Summary summary, std::string text) -> MethodInfo {
    return {{summary_name(summary), std::move(text), noise_tunnel_options(), 1},
            [summary](const MethodSpec& s) -> MethodPtr {
              return std::make_shared<NoiseTunnel>(summary, MethodRegistry::instance().make(s.methods.at(0)),
                                                   s.get_int("n", 50), s.get_double("sigma", 0.15));
            }};
  };
  r.add(info(Summary::Mean, "mean of M over n noisy copies (Smilkov et al. 2017); sigma is a fraction of each image's range"));
  r.add(info(Summary::Variance, "variance of M over n noisy copies (Adebayo et al. 2018); the authors' helper used n=25"));
  r.add(info(Summary::MeanOfSquares, "mean of M^2 over the noisy copies of smoothgrad(M) (Hooker et al. 2019, Captum's "
                                     "smoothgrad_sq)"));
}

}  // namespace sanity
