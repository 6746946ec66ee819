// sMPRT, the smoothed model parameter randomization test of Hedstroem et al. 2023, as Quantus
// implements it (docs/DEFINITIONS.md, "Randomization checks"): each explanation is first averaged
// over N noisy copies of the input (noise sigma = sigma * (max(x) - min(x)), the last copy
// noise-free), then divided by the square root of its mean square and made absolute; then compared
// as in MPRT, bottom-up.
#include "attribution/expanded_rows.h"
#include "attribution/explain_batch.h"
#include "core/rng.h"
#include "metrics/registry.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {
namespace {

// The smoothed, normalized, absolute explanations [N, C, H, W] on the model's device: each image's n copies
// are explained in chunks of batch_size rows that never span two images. The options carry the
// training data and cache folder too: pattern methods fit on every randomized model they explain.
Tensor smprt_explanations(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                          const Tensor& ids, int64_t n, double sigma_fraction, const ExplainOptions& o) {
  const int64_t batch_size = o.batch_size;
  const uint64_t seed = o.seed;
  Tensors out, parts;
  Tensor copies;
  for_each_row_chunk(images.size(0), n, batch_size, /*within_image=*/true, [&](const RowChunk& chunk) {
    const RowSegment& seg = chunk.segments.at(0);
    const Tensor x = images[seg.image].to(model.device());
    const Tensor id = ids[seg.image];
    if (seg.first_copy == 0) {  // drawn on the host (every device draws the same), added on the device
      at::Generator g = make_generator(derive_seed(seed, "smprt", static_cast<uint64_t>(id.item<int64_t>())));
      const double sigma = sigma_fraction * (x.max() - x.min()).item<double>();
      Tensor noise = at::normal(0.0, 1.0, {n, x.size(0), x.size(1), x.size(2)}, g).to(model.device()) * sigma;
      noise[n - 1].zero_();  // the last copy is the clean input
      copies = x.unsqueeze(0) + noise;
    }
    const AttributionContext ctx{model, batch_size, seed, id.expand({seg.count}).contiguous(), nullptr, o.fit_data,
                                 o.cache_dir, o.save_fitted};
    const Tensor rows = copies.narrow(0, seg.first_copy, seg.count);
    const Tensor t = targets[seg.image].expand({seg.count}).contiguous().to(model.device());
    const Tensor maps = attribute_at(o.precision, method, ctx, rows, t);
    require_finite_maps(maps, method.spec().str(), ctx.image_ids);
    parts.push_back(maps.detach());
    if (seg.first_copy + seg.count < n) return;
    const Tensor e = torch::cat(parts, 0).mean(0, true).to(torch::kFloat64);
    parts.clear();
    const Tensor rms = e.pow(2).mean().sqrt().clamp_min(1e-30);
    out.push_back((e / rms).abs().to(torch::kFloat32));
  });
  return torch::cat(out, 0);
}

class Smprt : public Check {
 public:
  explicit Smprt(Spec spec)
      : Check(std::move(spec)), metric_(MetricRegistry::instance().make(this->spec().get_string("metric", ""))),
        samples_(this->spec().get_int("samples", 50)), sigma_(this->spec().get_double("sigma", 0.1)) {}
  std::vector<Stage> stages(const CheckContext& c) const override {
    return plan_stages(c.groups(), RandomizationOrder::BottomUp);
  }

 protected:
  Tensor measure(CheckContext& c, const Stage& s, const PreparedMethod& m,
                 std::vector<Measurement>& rows) const override {
    const StageModel& randomized = stage_model(c, s);
    auto it = originals_.find(m.spec);
    if (it == originals_.end()) it = originals_.emplace(m.spec, smoothed(c, m, c.trained(), c.trained_targets())).first;
    const Tensor e = s.index == 0 ? it->second : smoothed(c, m, randomized.model, randomized.targets);
    c.add_rows(rows, *metric_, it->second, e);
    return e;
  }

 private:
  Tensor smoothed(const CheckContext& c, const PreparedMethod& m, const Graph& model, const Tensor& targets) const {
    return smprt_explanations(*m.method, model, c.images(), targets, c.ids(), samples_, sigma_, c.explain_options());
  }

  MetricPtr metric_;
  int64_t samples_;
  double sigma_;
  mutable std::map<std::string, Tensor> originals_;  // the trained model's smoothed maps, per method
};

}  // namespace

void register_smprt_check(CheckRegistry& r) {
  CheckInfo info{{"smprt", "smoothed MPRT: maps averaged over noisy copies, then bottom-up randomization (Hedstroem et al. 2023)",
                  {metric_option("spearman_abs", "metric comparing the smoothed maps (a metric name)"),
                   integer_option("samples", 50, "noisy copies per image (the last one noise-free)", 1, 100000),
                   number_option("sigma", 0.1, "noise std as a fraction of each image's range", 0)}}};
  info.make = [](const Spec& s) { return std::make_shared<Smprt>(s); };
  info.report = {CheckReport::Figure::Similarity, "Smooth model parameter randomization (sMPRT)", "layers randomized, up to",
                 "As the model randomization test, but each explanation is first averaged over noisy copies of the input "
                 "(Hedstr\u00f6m et al. 2023), which removes noise that would make any method look sensitive. A method "
                 "that depends on the model falls towards 0; staying near 1 fails."};
  r.add(std::move(info));
}

}  // namespace sanity
