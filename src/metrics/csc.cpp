#include "metrics/csc.h"

#include <cmath>

#include "attribution/registry.h"
#include "core/error.h"
#include "core/rng.h"
#include "stats/bootstrap.h"

namespace sanity {
namespace {

// |cos| values in [0, 1] counted in fine bins, one histogram per image: quantiles to 1e-4 without
// keeping every value (VGG-16's first layer alone gives 224 * 224 * 10 values per image), and the
// images kept apart so that the median's confidence interval can resample them (the values of one
// image are not independent draws).
struct Histogram {
  static constexpr int kBins = 10000;
  std::vector<std::vector<int32_t>> per_image;  // [image][bin]
  int64_t count = 0, dropped = 0;
  double sum = 0;

  explicit Histogram(int64_t images) : per_image(static_cast<size_t>(images)) {}

  // values: [B, ...], the values of images first .. first + B - 1, on any device: binned there, and
  // only the counts come to the host.
  void add(const Tensor& values, int64_t first) {
    const int64_t b = values.size(0);
    const Tensor v = values.reshape({b, -1}).to(torch::kFloat64);
    const Tensor finite = v.isfinite();
    const Tensor kept = v.masked_select(finite).clamp(0.0, 1.0);
    dropped += v.numel() - kept.numel();
    count += kept.numel();
    sum += kept.sum().item<double>();
    // One bincount for the batch: image i's bins are offset by i * kBins; NaN goes to a spare bin.
    Tensor idx = (v.nan_to_num(0.0, 0.0, 0.0).clamp(0.0, 1.0) * kBins).floor().clamp_max(kBins - 1).to(torch::kInt64) +
                 torch::arange(b, v.options().dtype(torch::kInt64)).view({b, 1}) * kBins;
    idx = idx.masked_fill(finite.logical_not(), b * kBins);
    const Tensor h = torch::bincount(idx.reshape({-1}), {}, b * kBins + 1).to(torch::kCPU).contiguous();
    const auto* p = h.data_ptr<int64_t>();
    for (int64_t i = 0; i < b; ++i) {
      std::vector<int32_t>& bins = per_image.at(static_cast<size_t>(first + i));
      if (bins.empty()) bins.assign(kBins, 0);
      for (int k = 0; k < kBins; ++k) bins[k] += static_cast<int32_t>(p[i * kBins + k]);
    }
  }
  // Every image's histogram, summed.
  std::vector<int64_t> pooled() const {
    std::vector<int64_t> bins(kBins, 0);
    for (const auto& h : per_image)
      for (size_t k = 0; k < h.size(); ++k) bins[k] += h[k];
    return bins;
  }
  // The centre of the first bin whose cumulative count reaches q times the total (stats/bootstrap.h's
  // bootstrap_pooled_quantile uses the same rule, so its estimate is this).
  double quantile(const std::vector<int64_t>& bins, double q) const {
    if (count == 0) return std::nan("");
    const double target = q * static_cast<double>(count);
    int64_t cum = 0;
    for (int i = 0; i < kBins; ++i) {
      cum += bins[i];
      if (static_cast<double>(cum) >= target && bins[i] > 0) return (i + 0.5) / kBins;
    }
    return 1.0;
  }
};

// [B * S, C, ...] -> [B, S, C, P] with P the positions (1 for a dense layer).
Tensor as_positions(const Tensor& signal, int64_t images, int64_t samples) {
  const int64_t c = signal.dim() > 1 ? signal.size(1) : 1;
  return signal.reshape({images, samples, c, -1});
}

}  // namespace

double gaussian_abs_cos_median(int64_t dim) {
  if (dim <= 1) return 1.0;
  const int steps = 100000;
  const double h = M_PI / 2 / steps;
  std::vector<double> cum(steps + 1, 0.0);
  auto f = [&](double phi) {
    const double c = std::cos(phi);
    return dim == 2 ? 1.0 : (c <= 0 ? 0.0 : std::exp(static_cast<double>(dim - 2) * std::log(c)));
  };
  for (int i = 1; i <= steps; ++i) cum[i] = cum[i - 1] + 0.5 * h * (f((i - 1) * h) + f(i * h));
  const double half = cum[steps] / 2;
  const auto it = std::lower_bound(cum.begin(), cum.end(), half);
  const int i = static_cast<int>(it - cum.begin());
  const double frac = i == 0 ? 0.0 : (half - cum[i - 1]) / (cum[i] - cum[i - 1]);
  return std::sin((i - 1 + frac) * h);
}

BackpropMethodPtr csc_method(const MethodSpec& spec) {
  const auto& reg = MethodRegistry::instance();
  if (spec.name == "gradient" && spec.options.empty()) {
    if (!reg.find("gradient")) return make_gradient_sweep();
    auto m = std::dynamic_pointer_cast<const BackpropMethod>(reg.make(spec));
    return m ? m : make_gradient_sweep();
  }
  auto m = std::dynamic_pointer_cast<const BackpropMethod>(reg.make(spec));
  if (!m)
    throw UnsupportedError("csc: method " + spec.str() +
                           " is not a single backward sweep with rules, so no signal can be injected at a layer");
  return m;
}

namespace {

// The layers reported: the configured ones, or the input and every conv, linear, add and concat
// node below the injection layer.
std::vector<int> reported_layers(const Graph& g, int from, const CscOptions& o) {
  std::vector<int> nodes;
  if (o.layers.empty()) {
    for (int k = from - 1; k >= 0; --k) {
      const LayerKind kind = g.node(k).layer->kind();
      if (k == 0 || kind == LayerKind::Conv || kind == LayerKind::Linear || kind == LayerKind::Add ||
          kind == LayerKind::Concat)
        nodes.push_back(k);
    }
    return nodes;
  }
  for (const auto& name : o.layers) {
    const int k = g.find(name);
    if (k >= from) throw InputError("csc: layer '" + name + "' is not below the injection layer " + g.node(from).name);
    nodes.push_back(k);
  }
  return nodes;
}

// The starting signals of one image at the injection layer (`top`: its forward value, [S * B, ...]):
// S Gaussian vectors, or the one-hot predicted class and one other class; drawn from (seed, image id).
Tensor starting_signals(const Tensor& top, int64_t row, int64_t id, int64_t samples, bool classes, uint64_t seed) {
  at::Generator gen = make_generator(derive_seed(seed, classes ? "csc_classes" : "csc", static_cast<uint64_t>(id)));
  if (!classes) {
    std::vector<int64_t> full{samples};
    full.insert(full.end(), top.sizes().begin() + 1, top.sizes().end());
    return torch::randn(full, gen, torch::kFloat32).to(top.options());
  }
  const int64_t k = top.size(1);
  if (k < 2) throw InputError("csc: the two-classes start needs at least two classes");
  const int64_t a = top[row].argmax().item<int64_t>();
  int64_t other = torch::randint(k - 1, {1}, gen, torch::kInt64).item<int64_t>();
  if (other >= a) ++other;
  Tensor s = torch::zeros({2, k}, top.options());
  s[0][a] = 1;
  s[1][other] = 1;
  return s;
}

CscLayer summarize(const Graph& g, int node, int64_t channels, int64_t positions, const Histogram& h,
                   const CscOptions& o) {
  CscLayer l;
  l.name = g.node(node).name;
  l.node = node;
  l.channels = channels;
  l.positions = positions;
  l.count = h.count;
  l.dropped = h.dropped;
  l.mean = l.count ? h.sum / static_cast<double>(l.count) : std::nan("");
  const std::vector<int64_t> bins = h.pooled();
  l.median = h.quantile(bins, 0.5);
  l.q05 = h.quantile(bins, 0.05);
  l.q25 = h.quantile(bins, 0.25);
  l.q75 = h.quantile(bins, 0.75);
  l.q95 = h.quantile(bins, 0.95);
  l.baseline_median = gaussian_abs_cos_median(l.channels);
  if (o.ci.resamples > 0 && l.count > 0) {
    std::vector<std::vector<int32_t>> images;  // images with values at this layer
    for (const auto& bins_of_image : h.per_image)
      if (!bins_of_image.empty()) images.push_back(bins_of_image);
    BootstrapOptions ci = o.ci;
    ci.seed = derive_seed(o.seed, "csc_bootstrap:" + l.name);
    const Interval m = bootstrap_pooled_quantile(images, 0.5, ci);
    l.median_low = m.low;
    l.median_high = m.high;
  }
  return l;
}

}  // namespace

CscResult cosine_similarity_convergence(const AttributionContext& ctx, const BackpropMethod& method,
                                        const Tensor& images, const CscOptions& o) {
  torch::NoGradGuard no_grad;
  const Graph& g = ctx.model;
  g.check_input(images);
  const bool classes = o.start == CscOptions::Start::TwoClasses;
  const int from = o.inject.empty() ? g.logits() : g.find(o.inject);
  if (classes && from != g.logits()) throw InputError("csc: the two-classes start needs the logits as injection layer");
  if (!classes && o.samples < 2) throw InputError("csc: --samples must be at least 2 (pairs of starting vectors)");
  const int64_t samples = classes ? 2 : o.samples;

  const std::vector<int> nodes = reported_layers(g, from, o);
  std::vector<int> slot(static_cast<size_t>(g.size()), -1);
  for (size_t i = 0; i < nodes.size(); ++i) slot[nodes[i]] = static_cast<int>(i);
  std::vector<Histogram> hist(nodes.size(), Histogram(images.size(0)));
  std::vector<int64_t> channels(nodes.size(), 0), positions(nodes.size(), 0);

  const int64_t n = images.size(0), per = std::max<int64_t>(1, o.images_per_batch);
  const Tensor ids = ctx.image_ids.defined() ? ctx.image_ids.to(torch::kCPU) : torch::arange(n, torch::kInt64);
  for (int64_t start = 0; start < n; start += per) {
    const int64_t b = std::min(per, n - start);
    const Tensor x = images.narrow(0, start, b).repeat_interleave(samples, 0);
    Sweep sweep = method.prepare(ctx, x);
    const Tensor& top = sweep.acts.at(from);
    Tensors seeds;
    for (int64_t i = 0; i < b; ++i)
      seeds.push_back(starting_signals(top, i * samples, ids[start + i].item<int64_t>(), samples, classes, o.seed));
    BackpropOptions bo;
    bo.rules = &sweep.rules;
    bo.observe = [&](int node, const Tensor& signal) {
      const int s = slot[node];
      if (s < 0) return;
      const Tensor u = as_positions(signal.to(torch::kFloat64), b, samples);  // [B, S, C, P]
      channels[s] = u.size(2);
      positions[s] = u.size(3);
      const Tensor norm = u.norm(2, 2);  // [B, S, P]
      for (int64_t i = 0; i < samples; ++i)
        for (int64_t j = i + 1; j < samples; ++j) {
          const Tensor dot = (u.select(1, i) * u.select(1, j)).sum(1);  // [B, P]
          hist[s].add((dot / (norm.select(1, i) * norm.select(1, j))).abs(), start);  // 0 / 0 -> NaN: dropped
        }
    };
    backprop(g, sweep.acts, from, torch::cat(seeds, 0), bo);
  }

  CscResult r;
  r.method = method.spec().str();
  r.start = classes ? "two_classes" : "random";
  r.inject = g.node(from).name;
  r.images = n;
  for (size_t i = 0; i < nodes.size(); ++i) r.layers.push_back(summarize(g, nodes[i], channels[i], positions[i], hist[i], o));
  return r;
}

}  // namespace sanity
