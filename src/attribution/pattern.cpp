#include "attribution/pattern.h"

#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "attribution/canonizers.h"
#include "core/error.h"
#include "core/files.h"
#include "core/precision.h"
#include "core/rng.h"
#include "models/fingerprint.h"
#include "models/layers.h"

namespace sanity {
namespace {

// Running sums for one layer's patterns: rows are samples (times positions for convs).
struct Stats {
  Tensor sum_x_pos, sum_xy_pos;  // [out, in]: sums of x and of y_j x over rows where y_j > 0
  Tensor count_pos, sum_y_pos, sum_y;  // [out]
  double rows = 0;

  void add(const Tensor& x, const Tensor& y, int64_t out_offset, bool positive) {
    const Tensor mask = positive ? (y > 0).to(x.scalar_type()) : torch::ones_like(y);
    const int64_t out = y.size(1);
    auto acc = [&](Tensor& total, const Tensor& part) {
      total.narrow(0, out_offset, out).add_(part.to(total.scalar_type()));
    };
    acc(sum_x_pos, mask.t().mm(x));
    acc(sum_xy_pos, (mask * y).t().mm(x));
    acc(count_pos, mask.sum(0));
    acc(sum_y_pos, (mask * y).sum(0));
    acc(sum_y, y.sum(0));
  }
};

// The rows (inputs seen by one output unit) of a conv layer's input: [N * positions, in/groups * kh * kw]
// for each group.
Tensor conv_rows(const Conv2d& conv, const Tensor& x, int64_t group) {
  Tensor src = x;
  std::vector<int64_t> padding{conv.pads.top, conv.pads.left};
  if (!conv.pads.symmetric()) {
    src = at::constant_pad_nd(x, {conv.pads.left, conv.pads.right, conv.pads.top, conv.pads.bottom}, 0.0);
    padding = {0, 0};
  }
  const Tensor& w = conv.weight();
  const Tensor cols = at::im2col(src, {w.size(2), w.size(3)}, conv.dilation, padding, conv.stride);  // [N, C*k*k, L]
  const int64_t d = w.size(1) * w.size(2) * w.size(3);
  return cols.narrow(1, group * d, d).transpose(1, 2).reshape({-1, d});
}

std::string model_hash(const Graph& g) { return model_fingerprint(g).hex(16); }

// Recently used patterns, so that SmoothGrad(PatternAttribution) or CSC do not reread the file.
std::mutex cache_mutex;
std::deque<std::shared_ptr<const Patterns>> cache;

// Layers whose output (after a folded BatchNorm) goes only into ReLUs take the two-component
// (positive) estimator; others, such as the logits layer, the linear one over all samples.
std::vector<bool> positive_estimator(const Graph& g, const Canonical& c) {
  const int n = g.size();
  std::vector<bool> relu_only(static_cast<size_t>(n), true), used(static_cast<size_t>(n), false);
  for (int k = 0; k < n; ++k)
    for (int i : g.node(k).inputs) {
      const int src = c.folded_into[i] >= 0 ? c.folded_into[i] : i;
      if (c.folded_into[k] >= 0) continue;  // the folded BatchNorm itself
      used[src] = true;
      if (g.node(k).layer->kind() != LayerKind::ReLU) relu_only[src] = false;
    }
  std::vector<bool> positive(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) positive[k] = relu_only[k] && used[k];
  return positive;
}

// Zero sums for a layer of weight w: float64 where they fit comfortably; VGG-16's first dense layer
// (100M entries) in float32.
Stats zero_stats(const Tensor& w) {
  const int64_t out = w.size(0), in = w.numel() / out;
  const auto dt = out * in <= (int64_t(1) << 24) ? torch::kFloat64 : torch::kFloat32;
  const auto o = w.options().dtype(dt);
  return Stats{torch::zeros({out, in}, o), torch::zeros({out, in}, o), torch::zeros({out}, o),
               torch::zeros({out}, o), torch::zeros({out}, o)};
}

// One batch through a conv or linear layer of (folded) weight w: its input x's rows and the units'
// outputs y = w x, without bias.
void add_batch(Stats& s, const Layer& layer, const Tensor& x, const Tensor& w, bool positive) {
  const int64_t out = w.size(0), in = w.numel() / out;
  const Tensor wf = w.reshape({out, in});
  if (const auto* conv = dynamic_cast<const Conv2d*>(&layer)) {
    const int64_t groups = conv->groups, out_g = out / groups;
    for (int64_t gi = 0; gi < groups; ++gi) {
      const Tensor rows = conv_rows(*conv, x, gi);
      s.add(rows, rows.mm(wf.narrow(0, gi * out_g, out_g).t()), gi * out_g, positive);
    }
  } else {
    const Tensor rows = x.reshape({-1, in});
    s.add(rows, rows.mm(wf.t()), 0, positive);
  }
  s.rows += static_cast<double>(x.numel() / in);
}

// a = cov / (w^T cov) per output unit, shaped like w.
Tensor pattern_from(const Stats& s, const Tensor& w, bool mean_y_all) {
  const int64_t out = w.size(0);
  const Tensor cnt = s.count_pos.clamp_min(1).unsqueeze(1);
  const Tensor mean_y = (mean_y_all ? s.sum_y / std::max(1.0, s.rows) : s.sum_y_pos / cnt.squeeze(1)).unsqueeze(1);
  const Tensor cov = s.sum_xy_pos / cnt - s.sum_x_pos / cnt * mean_y;
  const Tensor wc = w.reshape({out, -1}).to(cov.scalar_type()) * cov;
  const Tensor denom = wc.sum(1, true);
  // Units seen active fewer than twice, or whose w^T cov vanishes up to rounding, have no usable
  // statistics: they get a zero pattern (iNNvestigate's safe divide gives 0 / 1 for exact zeros;
  // a rounding-sized denominator would blow the pattern up and overflow deep PatternNet sweeps).
  const Tensor degenerate = (denom.abs() <= 1e-6 * wc.abs().sum(1, true)) | (s.count_pos.unsqueeze(1) < 2);
  const Tensor a = torch::where(degenerate, torch::zeros_like(cov), cov / torch::where(degenerate, torch::ones_like(denom), denom));
  return a.to(w.scalar_type()).reshape(w.sizes()).contiguous();
}

}  // namespace

Patterns fit_patterns(const Graph& g, const Tensor& images, int64_t batch_size, bool mean_y_all) {
  torch::NoGradGuard no_grad;
  const Canonical c = canonize(g);
  const int n = g.size();
  std::vector<std::optional<Stats>> stats(static_cast<size_t>(n));
  const std::vector<bool> positive = positive_estimator(g, c);
  for (int64_t i = 0; i < images.size(0); i += batch_size) {
    const Tensor batch = images.narrow(0, i, std::min(batch_size, images.size(0) - i));
    const Tensors acts = g.forward_all(batch);
    for (int k = 0; k < n; ++k) {
      if (!c.affine[k]) continue;
      const Tensor& w = c.linear[k]->weight;
      if (!stats[k]) stats[k] = zero_stats(w);
      add_batch(*stats[k], *g.node(k).layer, acts[g.node(k).inputs.at(0)], w, positive[k]);
    }
  }
  Patterns p;
  p.per_node.resize(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k)
    if (stats[k]) p.per_node[k] = pattern_from(*stats[k], c.linear[k]->weight, mean_y_all);
  return p;
}

std::string pattern_key(const Graph& g, const std::string& data_name, int64_t data_size, const PatternFit& fit) {
  const ContentKey::Digest fit_key =
      ContentKey().add(data_name).add(data_size).add(fit.count).add(fit.seed).add(fit.mean_y_all).digest();
  return model_hash(g) + "-" + fit_key.hex(8);
}

void save_patterns(const Patterns& p, const std::string& path) {
  std::vector<int64_t> index;
  Tensors values;
  for (size_t k = 0; k < p.per_node.size(); ++k)
    if (p.per_node[k].defined()) {
      index.push_back(static_cast<int64_t>(k));
      values.push_back(p.per_node[k].to(torch::kCPU));
    }
  values.insert(values.begin(), torch::tensor(index, torch::kInt64));
  const std::string tmp = temporary_name(path);
  torch::save(values, tmp);
  std::filesystem::rename(tmp, path);
}

Patterns load_patterns(const std::string& path, int nodes) {
  Tensors values;
  try {
    torch::load(values, path);
  } catch (const std::exception& e) {
    throw InputError("patterns file " + path + ": cannot be read (" + std::string(e.what()).substr(0, 200) + ")");
  }
  if (values.empty() || values[0].scalar_type() != torch::kInt64 || values[0].numel() + 1 != (int64_t)values.size())
    throw InputError("patterns file " + path + ": not a patterns file (expected a node index and one tensor per node)");
  Patterns p;
  p.per_node.resize(static_cast<size_t>(nodes));
  for (int64_t i = 0; i < values[0].numel(); ++i) {
    const int64_t k = values[0][i].item<int64_t>();
    if (k < 0 || k >= nodes) throw InputError("patterns file " + path + ": node index " + std::to_string(k) + " out of range");
    p.per_node[static_cast<size_t>(k)] = values[static_cast<size_t>(i) + 1];
  }
  return p;
}

bool fits_on_data(const MethodSpec& s) {
  if (s.name == "pattern_net" || s.name == "pattern_attribution") return true;
  for (const auto& inner : s.methods)
    if (fits_on_data(inner)) return true;
  return false;
}

std::shared_ptr<const Patterns> patterns_for(const AttributionContext& ctx, const PatternFit& fit) {
  const Graph& g = ctx.model;
  const std::string mhash = model_hash(g);
  const std::string key = ctx.fit_data ? pattern_key(g, ctx.fit_data->name + "#" + ctx.fit_data->content, ctx.fit_data->size(), fit) : "";
  std::lock_guard<std::mutex> lock(cache_mutex);
  for (const auto& p : cache)
    if (key.empty() ? p->key.rfind(mhash, 0) == 0 : p->key == key) return p;

  auto finish = [&](Patterns p, const std::string& k) {
    p.key = k;
    for (auto& t : p.per_node)
      if (t.defined()) t = t.to(g.device());
    auto shared = std::make_shared<const Patterns>(std::move(p));
    cache.push_front(shared);
    if (cache.size() > 3) cache.pop_back();
    return shared;
  };
  namespace fs = std::filesystem;
  if (!ctx.cache_dir.empty() && fs::is_directory(ctx.cache_dir)) {
    if (!key.empty()) {
      const std::string path = ctx.cache_dir + "/patterns-" + key + ".pt";
      if (fs::exists(path)) return finish(load_patterns(path, g.size()), key);
    } else {
      // No fit data given: any patterns fitted for these exact weights will do (first by name).
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(ctx.cache_dir)) {
        const std::string f = e.path().filename().string();
        if (f.rfind("patterns-" + mhash + "-", 0) == 0 && e.path().extension() == ".pt") found.push_back(f);
      }
      std::sort(found.begin(), found.end());
      if (!found.empty())
        return finish(load_patterns(ctx.cache_dir + "/" + found[0], g.size()), found[0].substr(9, found[0].size() - 12));
    }
  }
  if (!ctx.fit_data || ctx.fit_data->size() == 0)
    throw InputError("pattern methods need training images to fit their patterns: none given (CLI: --fit-data) and no "
                     "patterns file for this model in '" + (ctx.cache_dir.empty() ? std::string("(no cache dir)") : ctx.cache_dir) + "'");
  Tensor images = ctx.fit_data->images;
  if (fit.count > 0 && fit.count < images.size(0)) {
    const Tensor perm = torch::randperm(images.size(0), make_generator(derive_seed(fit.seed, "pattern_fit")));
    images = images.index_select(0, perm.narrow(0, 0, fit.count));
  }
  // Fitted in float32 at every precision (core/precision.h): the patterns are a statistic of the data
  // on the model, like the targets, and the caches above serve them to every precision.
  Patterns p = [&] {
    const Float32Region float32;
    return fit_patterns(g, images.to(g.device()), fit.batch_size, fit.mean_y_all);
  }();
  if (ctx.save_fitted && !ctx.cache_dir.empty() && fs::is_directory(ctx.cache_dir))
    save_patterns(p, ctx.cache_dir + "/patterns-" + key + ".pt");
  return finish(std::move(p), key);
}

}  // namespace sanity
