#include "study/checks/emprt.h"

#include "core/runtime.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {

namespace {

// The CPU's loop: torch::histc per image.
Tensor histogram_entropy_loop(const Tensor& flat, int64_t bins) {
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

// Every image at once on any device: histc's bin (x - lo) * bins / (hi - lo), the top edge in the
// last bin; counts added as integers, so in any order the same. A constant map divides by 1 (its
// values all fall in bin 0), never by 0: NaN has no bin.
Tensor histogram_entropy_tensor(const Tensor& flat, int64_t bins) {
  const Tensor lo = flat.amin(1, true), width = flat.amax(1, true) - lo;
  const Tensor divisor = torch::where(width > 0, width, 1.0);
  const Tensor bin = ((flat - lo) * static_cast<double>(bins) / divisor).floor().clamp(0, bins - 1).to(torch::kInt64);
  const Tensor counts = torch::zeros({flat.size(0), bins}, bin.options()).scatter_add_(1, bin, torch::ones_like(bin));
  const Tensor p = counts.to(torch::kFloat64) / static_cast<double>(flat.size(1));
  const Tensor entropy = -torch::where(p > 0, p * p.log(), 0.0).sum(1);
  return torch::where(width.squeeze(1) > 0, entropy, 0.0);  // a constant map has one occupied bin
}

}  // namespace

Tensor histogram_entropy(const Tensor& maps, int64_t bins) {
  const Tensor flat = maps.reshape({maps.size(0), -1}).abs().to(torch::kFloat64);
  return cpu_fast_path(flat) ? histogram_entropy_loop(flat, bins) : histogram_entropy_tensor(flat, bins);
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
    const Tensor score = emprt_scores(c.original(m), e).to(torch::kCPU);
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
