#include "report/verdicts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/spec.h"
#include "faithfulness/record.h"
#include "report/checks.h"

namespace sanity::report {

namespace {

// Reads the per-image rows and the bootstrap summaries of (check, stage, metric) into v.
void collect(const Study& study, int64_t run, const std::string& metric, const VerdictRule& rule, CheckVerdicts& v) {
  std::map<std::string, std::map<int64_t, double>> by_method;
  std::set<int64_t> images;
  RowFilter f = run_filter(run, v.check, metric);
  f.stage = v.stage;
  study.store().each_row(f, [&](const ResultRow& r) {
    if (r.method.empty() || !r.layer.empty() || r.step != -1 || r.image < 0) return;
    by_method[r.method][r.image] = r.value;
    images.insert(r.image);
  });
  const BootstrapOptions ci = rule.bootstrap();
  std::map<std::string, Interval> intervals;
  for (const ResultSummary& s : study.store().summaries(f, &ci))
    if (!s.method.empty() && s.layer.empty() && s.step == -1) intervals[s.method] = s.ci;
  v.images.assign(images.begin(), images.end());
  for (const std::string& m : study.methods(run)) {
    auto it = by_method.find(m);
    if (it == by_method.end()) continue;
    MethodVerdict mv;
    mv.method = m;
    mv.ci = intervals[m];
    for (int64_t id : v.images) {
      auto at = it->second.find(id);
      mv.values.push_back(at == it->second.end() ? kNaN : at->second);
    }
    v.methods.push_back(std::move(mv));
  }
}

// Paired tests of every method against the reference, Holm over them; NaN p (no non-zero
// difference) enters Holm as 1: it is a test that found nothing.
// `shift` is added to each method's values first (the randomization rule's margin).
void test_against_reference(CheckVerdicts& v, double shift) {
  const MethodVerdict* ref = v.find(v.reference);
  if (!ref) return;
  const std::vector<double> reference = ref->values;
  std::vector<double> p;
  std::vector<MethodVerdict*> tested;
  for (MethodVerdict& m : v.methods) {
    if (m.method == v.reference) continue;
    std::vector<double> shifted = m.values;
    for (double& x : shifted) x += shift;
    m.test = wilcoxon_signed_rank(shifted, reference);
    p.push_back(std::isnan(m.test.p_value) ? 1.0 : m.test.p_value);
    tested.push_back(&m);
  }
  const std::vector<double> adjusted = holm_adjust(p);
  for (size_t i = 0; i < tested.size(); ++i) tested[i]->p_holm = adjusted[i];
}

// Every method against v.reference by the paired test, then its verdict by `rule_of` (method, the
// reference's mean); the reference itself fails (identical to itself: it is the map that ignores what
// the check changes). Without the reference in the run: no verdicts, and a note saying why.
template <class RuleOf>
void judge(CheckVerdicts& v, const std::string& reference_role, double shift, RuleOf rule_of) {
  if (!v.find(v.reference)) {
    v.reference.clear();
    v.note = "no verdict: the " + reference_role + " was not run, and the rule compares with it";
    return;
  }
  test_against_reference(v, shift);
  const double reference_mean = v.find(v.reference)->ci.estimate;
  for (MethodVerdict& m : v.methods) m.verdict = m.method == v.reference ? Verdict::Fail : rule_of(m, reference_mean);
}

}  // namespace

std::string method_named(const std::vector<std::string>& methods, const std::string& name) {
  for (const std::string& m : methods) {
    try {
      if (parse_method_spec(m).name == name || m == name) return m;
    } catch (const std::exception&) {
    }
  }
  return "";
}

const MethodVerdict* CheckVerdicts::find(const std::string& method) const {
  for (const MethodVerdict& m : methods)
    if (m.method == method) return &m;
  return nullptr;
}

CheckVerdicts randomization_verdicts(const Study& study, int64_t run, const std::string& check, const VerdictRule& rule) {
  CheckVerdicts v;
  v.check = check;
  v.quantity = rule.metric;
  v.higher_is_better = false;
  const StageAxis& axis = study.stages(run, check);
  const CheckFigure* info = find_check(check);
  if (axis.stages.empty() || !info) {
    v.note = "not measured in this run";
    return v;
  }
  v.stage = axis.stages.back();
  v.stage_label = axis.label(v.stage);
  collect(study, run, rule.metric, rule, v);
  if (v.methods.empty()) {
    v.note = "metric " + rule.metric + " was not measured at the last stage";
    return v;
  }
  v.reference = method_named(study.methods(run), rule.edge_detector);
  v.noise = method_named(study.methods(run), rule.noise);
  judge(v, "edge detector '" + rule.edge_detector + "'", rule.margin, [&](const MethodVerdict& m, double reference_mean) {
    return randomization_verdict(m.ci.estimate, m.ci.high, reference_mean, m.p_holm, rule);
  });
  return v;
}

CheckVerdicts faithfulness_verdicts(const Study& study, int64_t run, const VerdictRule& rule) {
  CheckVerdicts v;
  v.check = kFaithfulnessCheck;
  v.quantity = "aopc_gap";
  v.higher_is_better = true;
  v.stage = -1;
  collect(study, run, v.quantity, rule, v);
  if (v.methods.empty()) {
    v.note = "not measured in this run";
    return v;
  }
  v.reference = method_named(study.methods(run), rule.noise);
  judge(v, "noise baseline '" + rule.noise + "'", 0.0, [&](const MethodVerdict& m, double noise_mean) {
    return faithfulness_verdict(m.ci.estimate, m.ci.low, noise_mean, m.p_holm, rule);
  });
  v.noise = v.reference;
  return v;
}

std::vector<OrderClaim> order_claims(const CheckVerdicts& v, const VerdictRule& rule) {
  std::vector<const MethodVerdict*> order;
  for (const MethodVerdict& m : v.methods)
    if (std::isfinite(m.ci.estimate)) order.push_back(&m);
  std::stable_sort(order.begin(), order.end(), [&](const MethodVerdict* a, const MethodVerdict* b) {
    return v.higher_is_better ? a->ci.estimate > b->ci.estimate : a->ci.estimate < b->ci.estimate;
  });
  std::vector<OrderClaim> claims;
  std::vector<double> p;
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    OrderClaim c;
    c.better = order[i]->method;
    c.worse = order[i + 1]->method;
    c.better_mean = order[i]->ci.estimate;
    c.worse_mean = order[i + 1]->ci.estimate;
    c.test = wilcoxon_signed_rank(order[i]->values, order[i + 1]->values);
    p.push_back(std::isnan(c.test.p_value) ? 1.0 : c.test.p_value);
    claims.push_back(std::move(c));
  }
  const std::vector<double> adjusted = holm_adjust(p);
  for (size_t i = 0; i < claims.size(); ++i) {
    claims[i].p_holm = adjusted[i];
    claims[i].significant = adjusted[i] < rule.alpha;
  }
  return claims;
}

VerdictRule study_verdict_rule(const Study& study) {
  if (study.config_source() != "study.json") return {};
  const nlohmann::json& j = study.config();
  if (!j.contains("config") || !j["config"].is_object() || !j["config"].contains("verdicts")) return {};
  return VerdictRule::from_json(j["config"]["verdicts"], study.dir() + "/study.json", "config.verdicts");
}

}  // namespace sanity::report
