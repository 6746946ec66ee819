#include "stats/verdicts.h"

#include <cmath>
#include <set>

#include "core/error.h"

namespace sanity {

nlohmann::json VerdictRule::to_json() const {
  return {{"metric", metric}, {"threshold", threshold}, {"margin", margin}, {"alpha", alpha}, {"edge_detector", edge_detector},
          {"noise", noise}, {"resamples", resamples}, {"confidence", confidence}};
}

VerdictRule VerdictRule::from_json(const nlohmann::json& j, const std::string& origin, const std::string& path) {
  const auto fail = [&](const std::string& field, const std::string& what) {
    throw InputError(origin + ": field '" + path + (field.empty() ? "" : "." + field) + "': " + what);
  };
  if (!j.is_object()) fail("", "expected a JSON object, got " + j.dump());
  static const std::set<std::string> known = {"metric", "threshold", "margin", "alpha", "edge_detector", "noise",
                                              "resamples", "confidence"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key())) fail(it.key(), "unknown field");
  VerdictRule r;
  const auto text = [&](const char* key, std::string& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_string() || j[key].get<std::string>().empty()) fail(key, "expected a non-empty string, got " + j[key].dump());
    out = j[key].get<std::string>();
  };
  const auto number = [&](const char* key, double& out, double lo, double hi, const char* range) {
    if (!j.contains(key)) return;
    if (!j[key].is_number()) fail(key, std::string("expected a number ") + range + ", got " + j[key].dump());
    out = j[key].get<double>();
    if (!(out > lo && out < hi)) fail(key, std::string("expected a number ") + range + ", got " + j[key].dump());
  };
  text("metric", r.metric);
  text("edge_detector", r.edge_detector);
  text("noise", r.noise);
  number("threshold", r.threshold, -HUGE_VAL, HUGE_VAL, "(finite)");
  number("alpha", r.alpha, 0, 1, "in (0, 1)");
  if (j.contains("margin")) {  // 0 allowed: the literal rule, any significant difference from the edge detector
    const auto& v = j["margin"];
    if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() < 1))
      fail("margin", "expected a number in [0, 1), got " + v.dump());
    r.margin = v.get<double>();
  }
  number("confidence", r.confidence, 0, 1, "in (0, 1)");
  if (j.contains("resamples")) {
    const auto& v = j["resamples"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000000)
      fail("resamples", "expected an integer from 1 to 1000000, got " + v.dump());
    r.resamples = v.get<int64_t>();
  }
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
