// CSC (Sixt et al. 2020, metrics/csc.h) as a check: on the trained model, one work unit per method
// and layer depth, stage = depth below the logits (0: the layer the signal is injected at), so the
// report can draw median and quartiles per layer next to the Gaussian baseline. Only methods that
// are one backward sweep have a CSC (not IG, SmoothGrad, GradCAM or the baselines): others are skipped.
#include "metrics/csc.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {
namespace {

struct CscUnit {
  int64_t stage = 0;
  std::string layer;
  std::vector<Measurement> rows;  // csc_median, csc_q1, csc_q3, csc_mean, csc_baseline, csc_median_low/high
};

// The stored form of one method's result, one unit per layer with at least one pooled value.
std::vector<CscUnit> csc_units(const CscResult& r) {
  std::vector<CscUnit> out;
  int64_t depth = 0;
  for (const auto& l : r.layers) {
    CscUnit u{depth++, l.name, {}};
    // A one-channel layer (the MNIST input) has no direction to compare: |cos| of scalars is 1.
    if (l.count == 0 || l.channels <= 1) continue;
    u.rows = {{"csc_median", l.median, -1, -1, l.name},
              {"csc_q1", l.q25, -1, -1, l.name},
              {"csc_q3", l.q75, -1, -1, l.name},
              {"csc_mean", l.mean, -1, -1, l.name},
              {"csc_baseline", l.baseline_median, -1, -1, l.name},
              // The median's 95 % bootstrap interval over the images (1,000 resamples): computed here,
              // where the per-image values are, since the store keeps only the pooled quantiles.
              {"csc_median_low", l.median_low, -1, -1, l.name},
              {"csc_median_high", l.median_high, -1, -1, l.name}};
    out.push_back(std::move(u));
  }
  return out;
}

class Csc : public Check {
 public:
  explicit Csc(Spec spec) : Check(std::move(spec)), samples_(static_cast<int>(this->spec().get_int("samples", 5))) {}
  std::vector<Stage> stages(const CheckContext&) const override { return {}; }  // labelled per layer as they come
  bool keeps_maps() const override { return false; }

  // One unit per sweep method, at stage 0 (its completion marker).
  std::vector<UnitKey> units(const CheckContext& c) const override {
    std::vector<UnitKey> out;
    for (const auto& m : c.methods()) {
      try {
        csc_method(parse_method_spec(m.spec));
        out.push_back({0, m.spec});
      } catch (const UnsupportedError&) {
      }
    }
    return out;
  }

  UnitOutput compute(CheckContext& c, const UnitKey& unit) const override {
    c.status(name() + " " + unit.method);
    const BackpropMethodPtr sweep = csc_method(parse_method_spec(unit.method));
    CscOptions o;
    o.samples = samples_;
    o.seed = c.seed();
    const ExplainOptions e = c.explain_options();
    AttributionContext ctx{c.trained(), o.images_per_batch * o.samples, o.seed, c.ids()};
    ctx.fit_data = e.fit_data;
    ctx.cache_dir = e.cache_dir;
    ctx.save_fitted = e.save_fitted;
    const CscResult r = cosine_similarity_convergence(ctx, *sweep, c.images().to(c.trained().device()), o);
    const auto units = csc_units(r);
    UnitOutput out;
    for (const auto& u : units) out.labels.push_back({u.stage, u.layer});
    // Deepest first, so a unit at depth 0 marks the method complete only once all are stored.
    for (auto it = units.rbegin(); it != units.rend(); ++it) out.units.push_back({it->stage, it->rows});
    if (units.empty() || units.front().stage != 0) out.units.push_back({0, {}});
    return out;
  }

 protected:
  Tensor measure(CheckContext&, const Stage&, const PreparedMethod&, std::vector<Measurement>&) const override {
    return {};  // compute() above does the work
  }

 private:
  int samples_;
};

}  // namespace

void register_csc_check(CheckRegistry& r) {
  CheckInfo info{{kCscCheck, "cosine similarity convergence per layer of the sweep methods (Sixt et al. 2020)",
                  {integer_option("samples", 5, "random starting vectors per image (5: the papers' 10 pairs)", 2, 1000)}}};
  info.make = [](const Spec& s) { return std::make_shared<Csc>(s); };
  info.report.figure = CheckReport::Figure::Csc;
  r.add(std::move(info));
}

}  // namespace sanity
