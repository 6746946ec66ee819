#pragma once
// The numbers behind the scorecard, computed from the stored per-image rows of one run: each method's
// mean with its bootstrap interval (the same seeds as `sanity export`'s summaries, so the two agree to
// the bit), the paired Wilcoxon signed-rank test against the reference method on the same images,
// Holm-corrected over the methods of the check, and the verdict (stats/verdicts.h states the rule).
// Also the claims of order the report states ("A changes more than B"), each backed by the same test.
#include <cstdint>
#include <string>
#include <vector>

#include "report/study.h"
#include "stats/paired_tests.h"
#include "stats/verdicts.h"

namespace sanity::report {

struct MethodVerdict {
  std::string method;
  Interval ci;                 // mean over the images (estimate) and its interval
  std::vector<double> values;  // per image, aligned with CheckVerdicts::images (NaN: no value)
  WilcoxonResult test;         // method (+ the rule's margin, randomization) vs the reference, paired by
                               // image (p NaN for the reference itself)
  double p_holm = std::numeric_limits<double>::quiet_NaN();
  Verdict verdict = Verdict::None;
};

struct CheckVerdicts {
  std::string check;        // "cascading", "data", ... or "pixel_flipping"
  std::string quantity;     // the metric judged: the rule's similarity metric, or "aopc_gap"
  int64_t stage = -1;       // the stage judged (the last one); -1 for pixel flipping
  std::string stage_label;
  bool higher_is_better = false;  // randomization: lower similarity is better; faithfulness: higher gap
  std::string reference;    // the method every other is tested against (sobel / noise), '' if absent
  std::string noise;        // the noise baseline's spec, '' if absent
  std::vector<int64_t> images;
  std::vector<MethodVerdict> methods;  // every method with values at that stage, in the run's order
  std::string note;         // why there are no verdicts ('' when there are)

  const MethodVerdict* find(const std::string& method) const;
};

// The verdicts of a randomization check at its last stage on rule.metric. Empty `methods` and a note
// when the check or the metric was not measured; verdicts None and a note without the edge detector.
CheckVerdicts randomization_verdicts(const Study& study, int64_t run, const std::string& check, const VerdictRule& rule);
// The faithfulness verdicts on aopc_gap against the noise baseline.
CheckVerdicts faithfulness_verdicts(const Study& study, int64_t run, const VerdictRule& rule);

// A claim of order between two methods next to each other when sorted by their mean (best first):
// "`better` changes more than `worse`" (randomization) or "is more faithful than" (faithfulness),
// backed by the paired test, Holm-corrected over the consecutive pairs of the check.
struct OrderClaim {
  std::string better, worse;
  double better_mean = 0, worse_mean = 0;
  WilcoxonResult test;
  double p_holm = 1;
  bool significant = false;  // p_holm < alpha: the report states the order; else "not distinguishable"
};
std::vector<OrderClaim> order_claims(const CheckVerdicts& v, const VerdictRule& rule);

// The first of `methods` whose parsed name is `name` ("sobel" matches "sobel" and "sobel(x=1)"), or ''.
std::string method_named(const std::vector<std::string>& methods, const std::string& name);

// The study's verdict rule: study.json's config.verdicts as `sanity run` records it, the default rule
// without one. InputError naming study.json and the field when it is invalid.
VerdictRule study_verdict_rule(const Study& study);

}  // namespace sanity::report
