#include "stats/verdicts.h"

#include <cmath>

#include "core/error.h"

namespace sanity {

const Settings<VerdictRule>& verdict_settings() {
  using R = VerdictRule;
  static const Settings<R> table = Settings<R>()
      .text("metric", &R::metric, "similarity metric of the randomization verdicts")
      .flag("verdict_metric")
      .number("threshold", &R::threshold, "pass: the interval's upper bound of the similarity below it")
      .number("margin", &R::margin, "fail: not significantly below the edge detector's similarity minus this",
              Bounds::between(0, 1, false, true))
      .number("alpha", &R::alpha, "family-wise error rate of the Holm-corrected tests", Bounds::between(0, 1, true, true))
      .text("edge_detector", &R::edge_detector, "the model-independent reference of the randomization verdicts")
      .text("noise", &R::noise, "the baseline of the faithfulness verdict")
      .integer("resamples", &R::resamples, "bootstrap resamples of the intervals", Bounds::between(1, 1000000))
      .number("confidence", &R::confidence, "confidence of the intervals", Bounds::between(0, 1, true, true));
  return table;
}

nlohmann::json VerdictRule::to_json() const { return verdict_settings().to_json(*this); }

VerdictRule VerdictRule::from_json(const nlohmann::json& j, const std::string& origin, const std::string& path) {
  VerdictRule r;
  verdict_settings().apply(j, r, config_field(origin, path));
  return r;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::Inconclusive: return "inconclusive";
    case Verdict::None: break;
  }
  return "none";
}

Verdict randomization_verdict(double mean, double high, double reference_mean, double p_holm, const VerdictRule& rule) {
  if (!std::isfinite(mean) || !std::isfinite(reference_mean)) return Verdict::None;
  const bool below = std::isfinite(p_holm) && p_holm < rule.alpha && mean < reference_mean - rule.margin;
  if (!below) return Verdict::Fail;
  return high < rule.threshold ? Verdict::Pass : Verdict::Inconclusive;
}

Verdict faithfulness_verdict(double mean, double low, double noise_mean, double p_holm, const VerdictRule& rule) {
  if (!std::isfinite(mean) || !std::isfinite(noise_mean)) return Verdict::None;
  const bool above = std::isfinite(p_holm) && p_holm < rule.alpha && mean > noise_mean;
  if (!above) return Verdict::Fail;
  return low > 0 ? Verdict::Pass : Verdict::Inconclusive;
}

}  // namespace sanity
