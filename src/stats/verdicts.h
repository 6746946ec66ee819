#pragma once
// Verdicts per method and check (docs/DEFINITIONS.md, "Statistics and verdicts": our rule, recorded
// with the results in study.json and with every exported verdict).
//
// Randomization check (cascading, data, ...), at its last stage, on `metric` (default spearman_abs,
// higher = more similar to the trained model's map):
//   fail          the method's similarity is not significantly below the edge detector's (`sobel`, a
//                 map that does not depend on the model) minus `margin`: paired Wilcoxon signed-rank
//                 test of (similarity + margin) against the edge detector's on the same images,
//                 two-sided, Holm-corrected over the methods of the check, p >= alpha, or the method's
//                 mean is not below the edge detector's minus the margin. It behaves like a
//                 model-independent map. The margin (default 0.05) is what "indistinguishable" means:
//                 with 200 images any difference from the edge detector's similarity of 1 is
//                 significant (LRP z+ at 0.998 would not fail); margin 0 is the literal rule.
//   pass          not failed, and the upper bound of the method's confidence interval is below
//                 `threshold` (default 0.5).
//   inconclusive  otherwise (significantly below the edge detector, but the interval reaches the threshold).
// Faithfulness (pixel flipping), on aopc_gap = AOPC MoRF - AOPC LeRF (higher = more faithful):
//   fail          not significantly above the noise baseline's gap (same paired test, Holm over the
//                 methods), or its mean is not above it: the ordering does no better than one that
//                 ignores the model.
//   pass          not failed, and the lower bound of the interval is above 0 (the expected gap of an
//                 ordering that ignores the model).
//   inconclusive  otherwise.
// Passing is necessary, not sufficient (Binder et al. 2023): the noise baseline passes the
// randomization checks by construction, which is why the report shows it beside every verdict.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/settings.h"
#include "stats/bootstrap.h"

namespace sanity {

struct VerdictRule {
  std::string metric = "spearman_abs";  // similarity metric of the randomization verdicts
  double threshold = 0.5;               // pass: the interval's upper bound below it
  double margin = 0.05;                 // fail: not significantly below the edge detector's minus this
  double alpha = 0.05;                  // family-wise error rate of the Holm-corrected tests
  std::string edge_detector = "sobel";  // the model-independent reference of the randomization checks
  std::string noise = "noise";          // the baseline of the faithfulness verdict, shown beside every verdict
  int64_t resamples = 1000;             // bootstrap of the intervals
  double confidence = 0.95;

  BootstrapOptions bootstrap() const { return {resamples, confidence, 0}; }
  nlohmann::json to_json() const;
  // Fields left out keep their defaults; a wrong type, a value out of range or an unknown field is an
  // InputError naming `origin` and the field ("study.json: field 'verdicts.alpha': ...").
  static VerdictRule from_json(const nlohmann::json& j, const std::string& origin, const std::string& path = "verdicts");
};

// The rule's table (core/settings.h): study.json's "verdicts", sanity report's flags, sanity.report()'s
// arguments, docs/SETTINGS.md.
const Settings<VerdictRule>& verdict_settings();

enum class Verdict { None, Pass, Fail, Inconclusive };
const char* verdict_name(Verdict v);  // "pass", "fail", "inconclusive", "none"

// mean: the method's mean over the images; high: its interval's upper bound; reference_mean: the
// edge detector's mean; p_holm: the Holm-corrected p of the paired test of (method + margin) against
// the edge detector (NaN: no test, every difference zero, which counts as not significant).
Verdict randomization_verdict(double mean, double high, double reference_mean, double p_holm, const VerdictRule& rule);
// mean / low: the method's mean gap and its interval's lower bound; noise_mean: the noise baseline's.
Verdict faithfulness_verdict(double mean, double low, double noise_mean, double p_holm, const VerdictRule& rule);

}  // namespace sanity
