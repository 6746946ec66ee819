#include "study/checks/emprt.h"

#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {

Tensor histogram_entropy(const Tensor& maps, int64_t bins) {
  const Tensor flat = maps.reshape({maps.size(0), -1}).abs().to(torch::kFloat64).to(torch::kCPU);
  Tensor out = torch::empty({flat.size(0)}, torch::kFloat64);
  for (int64_t i = 0; i < flat.size(0); ++i) {
    const Tensor row = flat[i];
    const double lo = row.min().item<double>(), hi = row.max().item<double>();
    if (hi <= lo) {
      out[i] = 0.0;  // a constant map has one occupied bin
      continue;
    }
    const Tensor p = torch::histc(row, bins, lo, hi) / static_cast<double>(row.numel());
    const Tensor nz = p.masked_select(p > 0);
    out[i] = -(nz * nz.log()).sum().item<double>();
  }
  return out;
}

Tensor emprt_scores(const Tensor& trained_maps, const Tensor& randomized_maps) {
  const Tensor h = histogram_entropy(trained_maps), hr = histogram_entropy(randomized_maps);
  // A constant trained map has H(e) = 0 and no relative rise: undefined (NaN, stored NULL, skipped
  // and counted by the means), as Quantus writes its ratios (nan where the denominator is 0).
  return at::where(h > 0, (hr - h) / h.clamp_min(1e-300), std::numeric_limits<double>::quiet_NaN());
}

namespace {

class Emprt : public Check {
 public:
  using Check::Check;
  // The trained model against the fully randomized one.
  std::vector<Stage> stages(const CheckContext& c) const override {
    Stage all{1, "all layers", {}};
    for (const auto& g : c.groups()) all.randomized.insert(all.randomized.end(), g.nodes.begin(), g.nodes.end());
    return {all};
  }

 protected:
  Tensor measure(CheckContext& c, const Stage& s, const PreparedMethod& m,
                 std::vector<Measurement>& rows) const override {
    const StageModel& randomized = stage_model(c, s);
    const Tensor e = c.explain(m, randomized.model, randomized.targets, s, name());
    const Tensor score = emprt_scores(c.original(m), e);
    for (int64_t i = 0; i < score.size(0); ++i) rows.push_back({"emprt", score[i].item<double>(), c.ids()[i].item<int64_t>()});
    return e;
  }
};

}  // namespace

void register_emprt_check(CheckRegistry& r) {
  CheckInfo info{{"emprt", "efficient MPRT: entropy change of the maps under full randomization (Hedstroem et al. 2023)", {}}};
  info.make = [](const Spec& s) { return std::make_shared<Emprt>(s); };
  r.add(std::move(info));
}

}  // namespace sanity
