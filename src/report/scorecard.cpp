#include "report/scorecard.h"

#include <algorithm>
#include <cmath>

#include "faithfulness/record.h"
#include "report/checks.h"
#include "report/markup.h"
#include "report/method_family.h"
#include "study/checks/check.h"

namespace sanity::report {

namespace {

std::string esc(const std::string& s) { return escape_markup(s); }

// "0.123 [0.110, 0.135]"
std::string with_interval(const Interval& i) {
  if (!std::isfinite(i.estimate)) return "\u2013";
  std::string s = format_number(i.estimate, "%.3f");
  if (std::isfinite(i.low) && std::isfinite(i.high))
    s += " <span class=\"ci\">[" + format_number(i.low, "%.3f") + ", " + format_number(i.high, "%.3f") + "]</span>";
  return s;
}

std::string interval_attributes(const Interval& i) {
  return " data-mean=\"" + attribute_number(i.estimate) + "\" data-low=\"" + attribute_number(i.low) +
         "\" data-high=\"" + attribute_number(i.high) + "\" data-n=\"" + std::to_string(i.n) + "\"";
}

std::string p_text(double p) {
  if (!std::isfinite(p)) return "\u2013";
  return p < 1e-4 ? "&lt; 0.0001" : format_number(p, "%.4f");
}

// Rows: baselines first (what every verdict is judged against), then family by family.
std::vector<std::string> row_order(const std::vector<std::string>& methods) {
  std::vector<std::string> out;
  for (const std::string& m : methods)
    if (method_family(m) == "baselines") out.push_back(m);
  for (const std::string& family : method_families())
    if (family != "baselines")
      for (const std::string& m : methods)
        if (method_family(m) == family) out.push_back(m);
  return out;
}

const char* quantity_hint(const CheckVerdicts& v) {
  return v.higher_is_better ? "higher = more faithful" : "lower = the map changes more";
}

std::string check_title(const CheckVerdicts& v) {
  if (v.check == kFaithfulnessCheck) return "Faithfulness (pixel flipping)";
  const CheckFigure* info = find_check(v.check);
  return info ? info->title : v.check;
}

// The verdict cell: the verdict, coloured, with the test behind it and the noise baseline beside it.
std::string verdict_cell(const CheckVerdicts& v, const MethodVerdict* m, const VerdictRule& rule) {
  if (!m) return "<td class=\"verdict none\" data-col=\"" + esc(v.check) + "\" data-verdict=\"none\">\u2013</td>";
  const std::string name = verdict_name(m->verdict);
  std::string title;
  if (m->verdict != Verdict::None) {
    if (m->method == v.reference)
      title = "the reference itself";
    else
      title = "vs " + v.reference + ": Wilcoxon p = " + p_text(m->test.p_value) + ", Holm " + p_text(m->p_holm) +
              " (n = " + std::to_string(m->test.n) + ")";
    if (const MethodVerdict* noise = v.find(v.noise))
      title += "; noise baseline " + format_number(noise->ci.estimate, "%.3f") + " (" + verdict_name(noise->verdict) + ")";
    title += "; threshold " + format_number(rule.threshold, "%.3g");
  }
  return "<td class=\"verdict " + name + "\" data-col=\"" + esc(v.check) + "\" data-verdict=\"" + name +
         "\" data-p-holm=\"" + attribute_number(m->p_holm) + "\" title=\"" + esc(title) + "\">" + name + "</td>";
}

std::string verdict_details(const CheckVerdicts& v) {
  std::string h = "<h4>" + esc(check_title(v)) + " \u00b7 " + esc(v.quantity) +
                  (v.stage_label.empty() ? "" : " at " + esc(v.stage_label)) + "</h4>\n";
  if (!v.note.empty()) return h + "<p class=\"note\">" + esc(v.note) + "</p>\n";
  h += "<table class=\"tests\">\n<tr><th>method</th><th>mean [CI]</th><th>images</th><th>vs <code>" + esc(v.reference) +
       "</code>: W</th><th>n \u2260 0</th><th>p</th><th>p (Holm)</th><th>verdict</th></tr>\n";
  for (const MethodVerdict& m : v.methods) {
    const bool self = m.method == v.reference;
    h += "<tr><td><code>" + esc(m.method) + "</code></td><td class=\"num\">" + with_interval(m.ci) +
         "</td><td class=\"num\">" + std::to_string(m.ci.n) + "</td><td class=\"num\">" +
         (self ? "\u2013" : format_number(m.test.statistic, "%.1f")) + "</td><td class=\"num\">" +
         (self ? "\u2013" : std::to_string(m.test.n)) + "</td><td class=\"num\">" + (self ? "\u2013" : p_text(m.test.p_value)) +
         "</td><td class=\"num\">" + (self ? "\u2013" : p_text(m.p_holm)) + "</td><td class=\"verdict " +
         verdict_name(m.verdict) + "\">" + verdict_name(m.verdict) + (self ? " (reference)" : "") + "</td></tr>\n";
  }
  return h + "</table>\n";
}

std::string claims_details(const CheckVerdicts& v, const std::vector<OrderClaim>& claims, const VerdictRule& rule) {
  if (claims.empty()) return "";
  const bool faith = v.higher_is_better;
  std::string h = "<h4>" + esc(check_title(v)) + ": methods in order of their mean " + esc(v.quantity) + " (" +
                  quantity_hint(v) + ")</h4>\n<table class=\"claims\" data-col=\"" + esc(v.check) +
                  "\">\n<tr><th>method</th><th>mean</th><th>statement</th><th>next method</th><th>mean</th><th>p (Holm)</th></tr>\n";
  for (const OrderClaim& c : claims) {
    const std::string statement = c.significant ? (faith ? "is more faithful than" : "changes more than")
                                                : "is not distinguishable from";
    h += std::string("<tr class=\"") + (c.significant ? "claim" : "tie") + "\"><td><code>" + esc(c.better) +
         "</code></td><td class=\"num\">" + format_number(c.better_mean, "%.3f") + "</td><td>" + statement +
         "</td><td><code>" + esc(c.worse) + "</code></td><td class=\"num\">" + format_number(c.worse_mean, "%.3f") +
         "</td><td class=\"num\" data-p-holm=\"" + attribute_number(c.p_holm) + "\">" + p_text(c.p_holm) + "</td></tr>\n";
  }
  return h + "</table>\n<p class=\"note\">Each line compares a method with the next one in this order on the same " +
         std::to_string(v.images.size()) + " images (Wilcoxon signed-rank, two-sided), Holm-corrected over the " +
         std::to_string(claims.size()) + " pairs; the order is stated only where p (Holm) &lt; " +
         format_number(rule.alpha, "%.3g") + ".</p>\n";
}

// Two header rows: each column group with what it measures, then each column.
std::string scorecard_head(const Scorecard& card) {
  const bool faith = !card.faithfulness.methods.empty(), csc = !card.csc.empty();
  std::string h = "<thead>\n<tr><th rowspan=\"2\">method</th>";
  for (const CheckVerdicts& v : card.randomization)
    h += "<th colspan=\"2\">" + esc(check_title(v)) + "<span class=\"sub\">" + esc(v.quantity) + " at " +
         esc(v.stage_label) + " (" + quantity_hint(v) + ")</span></th>";
  if (csc)
    h += "<th>CSC at the lowest layer<span class=\"sub\">median |cos| at " + esc(card.csc_layer) +
         " (near 1: collapsed)</span></th>";
  if (faith) h += "<th colspan=\"2\">Faithfulness<span class=\"sub\">AOPC MoRF \u2212 LeRF (higher = more faithful)</span></th>";
  if (!card.ranks.empty()) h += "<th colspan=\"" + std::to_string(card.ranks.size()) + "\">rank (1 = best)</th>";
  h += "</tr>\n<tr>";
  const std::string ci = format_number(100 * card.rule.confidence, "%.3g") + " % CI";
  for (size_t i = 0; i < card.randomization.size(); ++i) h += "<th>mean [" + ci + "]</th><th>verdict</th>";
  if (csc) h += "<th>median [" + ci + "]</th>";
  if (faith) h += "<th>mean [" + ci + "]</th><th>verdict</th>";
  for (const auto& r : card.ranks) h += "<th>" + esc(r.label) + "</th>";
  return h + "</tr>\n</thead>\n";
}

// A number with its interval, an en dash when the method has none.
std::string interval_cell(const std::string& column, const Interval* i) {
  return "<td class=\"num\" data-col=\"" + esc(column) + "\"" + (i ? interval_attributes(*i) : "") + ">" +
         (i ? with_interval(*i) : "\u2013") + "</td>";
}

std::string verdict_cells(const CheckVerdicts& v, const std::string& method, const VerdictRule& rule) {
  const MethodVerdict* mv = v.find(method);
  return interval_cell(v.check, mv ? &mv->ci : nullptr) + verdict_cell(v, mv, rule);
}

std::string rank_cell(const Scorecard::RankColumn& r, const std::string& method) {
  auto it = r.ranks.find(method);
  const double rank = it == r.ranks.end() ? kNaN : it->second;
  return "<td class=\"num\" data-col=\"rank:" + esc(r.key) + "\" data-rank=\"" + attribute_number(rank) + "\">" +
         (std::isfinite(rank) ? format_number(rank, rank == std::floor(rank) ? "%.0f" : "%.1f") + " / " +
                                    std::to_string(r.ranked)
                              : "\u2013") +
         "</td>";
}

// `reference`: a baseline, the row every verdict is judged against.
std::string method_row(const Scorecard& card, const std::string& m, bool reference) {
  std::string h = std::string("<tr data-method=\"") + esc(m) + "\"" + (reference ? " class=\"reference\"" : "") +
                  "><td><code>" + esc(m) + "</code></td>";
  for (const CheckVerdicts& v : card.randomization) h += verdict_cells(v, m, card.rule);
  if (!card.csc.empty()) {
    auto it = card.csc.find(m);
    h += interval_cell("csc", it == card.csc.end() ? nullptr : &it->second);
  }
  if (!card.faithfulness.methods.empty()) h += verdict_cells(card.faithfulness, m, card.rule);
  for (const auto& r : card.ranks) h += rank_cell(r, m);
  return h + "</tr>\n";
}

// Why a column has no verdict, under the table.
std::string scorecard_notes(const Scorecard& card) {
  const bool faith = !card.faithfulness.methods.empty();
  std::vector<std::string> notes;
  for (const CheckVerdicts& v : card.randomization)
    if (!v.note.empty()) notes.push_back(check_title(v) + ": " + v.note + ".");
  if (faith && !card.faithfulness.note.empty()) notes.push_back("Faithfulness: " + card.faithfulness.note + ".");
  if (!card.csc.empty())
    notes.push_back("CSC has no verdict (docs/DEFINITIONS.md gives no rule for it); its interval resamples the images of the "
                    "pooled median (computed when the check ran).");
  std::string h;
  for (const std::string& n : notes) h += "<p class=\"note\">" + esc(n) + "</p>\n";
  return h;
}

std::string scorecard_details(const Scorecard& card) {
  const bool faith = !card.faithfulness.methods.empty();
  std::string h =
      "<details class=\"tests\"><summary>How each verdict was reached, and the order of the methods with its tests</summary>\n";
  for (const CheckVerdicts& v : card.randomization) h += verdict_details(v);
  if (faith) h += verdict_details(card.faithfulness);
  for (const CheckVerdicts& v : card.randomization)
    if (card.claims.count(v.check)) h += claims_details(v, card.claims.at(v.check), card.rule);
  if (faith && card.claims.count(card.faithfulness.check))
    h += claims_details(card.faithfulness, card.claims.at(card.faithfulness.check), card.rule);
  return h + "</details>\n";
}

}  // namespace

Scorecard build_scorecard(const Study& study, int64_t run, const RankingTable& ranking, const VerdictRule& rule) {
  Scorecard card;
  card.run = run;
  card.rule = rule;
  card.methods = row_order(study.methods(run));
  for (const CheckFigure& check : randomization_checks()) {
    if (!check.score_at_last_stage || study.stages(run, check.name).stages.empty()) continue;
    card.randomization.push_back(randomization_verdicts(study, run, check.name, rule));
  }
  card.faithfulness = faithfulness_verdicts(study, run, rule);
  for (const CheckVerdicts& v : card.randomization)
    if (!v.methods.empty() && v.note.empty()) card.claims[v.check] = order_claims(v, rule);
  if (!card.faithfulness.methods.empty() && card.faithfulness.note.empty())
    card.claims[card.faithfulness.check] = order_claims(card.faithfulness, rule);

  // CSC at the lowest layer: the largest depth below the injection layer that holds a median.
  int64_t deepest = -1;
  std::map<std::string, std::map<std::string, double>> at_deepest;  // method -> metric -> value
  const std::vector<ResultSummary> csc = study.store().summaries(run_filter(run, kCscCheck));
  for (const ResultSummary& s : csc)
    if (s.metric == "csc_median" && !s.method.empty()) deepest = std::max(deepest, s.stage);
  for (const ResultSummary& s : csc)
    if (s.stage == deepest && !s.method.empty()) {
      at_deepest[s.method][s.metric] = s.summary.mean;
      card.csc_layer = s.layer;
    }
  for (const auto& entry : at_deepest) {
    const auto& method = entry.first;
    const auto& m = entry.second;  // a plain reference: clang-14 (the fuzz build) cannot capture a structured binding
    const auto get = [&](const char* k) { auto it = m.find(k); return it == m.end() ? kNaN : it->second; };
    Interval i;
    i.estimate = get("csc_median");
    i.low = get("csc_median_low");
    i.high = get("csc_median_high");
    i.n = 1;
    card.csc[method] = i;
  }

  // Ranks: the first randomization criterion of the table (not CSC) and the faithfulness gap.
  bool have_randomization = false;
  for (size_t j = 0; j < ranking.criteria.size(); ++j) {
    const Criterion& c = ranking.criteria[j];
    const bool randomization = c.kind == "randomization" && c.key != "csc" && !have_randomization;
    if (!randomization && c.key != "aopc_gap") continue;
    have_randomization = have_randomization || randomization;
    Scorecard::RankColumn col{c.key, c.key == "aopc_gap" ? "MoRF \u2212 LeRF" : c.key, {}, 0};
    for (size_t i = 0; i < ranking.methods.size(); ++i)
      if (std::isfinite(ranking.ranks[i][j])) col.ranks[ranking.methods[i]] = ranking.ranks[i][j], col.ranked++;
    card.ranks.push_back(std::move(col));
  }
  return card;
}

std::string verdict_rule_html(const VerdictRule& r) {
  const std::string alpha = format_number(r.alpha, "%.3g"), threshold = format_number(r.threshold, "%.3g");
  return "<p class=\"rule\"><b>Verdicts</b> (our rule, in the terms of docs/DEFINITIONS.md \u201cStatistics and verdicts\u201d; "
         "settings recorded in study.json as config.verdicts and in the options table below). <b>Randomization checks</b>, at the last "
         "stage, on <code>" + esc(r.metric) + "</code>: a method <span class=\"verdict fail\">fails</span> when its "
         "similarity is not significantly below the edge detector's (<code>" + esc(r.edge_detector) +
         "</code>, a map that ignores the model) minus a margin of " + format_number(r.margin, "%.3g") +
         " (paired Wilcoxon signed-rank test of the similarity plus the margin against the edge detector's on the "
         "same images, two-sided, Holm-corrected over the methods of the check, \u03b1 = " + alpha + "): it behaves "
         "like a model-independent map. (The margin says what indistinguishable means: over hundreds of images any "
         "difference from the edge detector's similarity of 1 is significant.) It <span class=\"verdict pass\">passes</span> when, in addition, the upper bound of its " +
         format_number(100 * r.confidence, "%.3g") + " % confidence interval is below " + threshold +
         ", and is <span class=\"verdict inconclusive\">inconclusive</span> otherwise. <b>Faithfulness</b>, on AOPC "
         "MoRF \u2212 LeRF: a method fails when its gap is not significantly above the noise baseline's (<code>" +
         esc(r.noise) + "</code>, the same paired test), passes when it is and the lower bound of its interval is above "
         "0 (what an ordering that ignores the model scores), and is inconclusive otherwise. Intervals: percentile "
         "bootstrap over the images, " + std::to_string(r.resamples) + " resamples. Passing is necessary, not "
         "sufficient (Binder et al. 2023): the noise baseline passes the randomization checks by construction, so it "
         "heads the table, beside every verdict.</p>\n";
}

std::string scorecard_html(const Scorecard& card, const std::string& run_title) {
  const std::string id = "scorecard-run" + std::to_string(card.run);
  std::string h = "<h3 id=\"" + id + "-title\">" + esc(run_title) + "</h3>\n";
  if (card.empty()) return h + "<p class=\"note\">No method was measured in this run.</p>\n";
  h += "<table class=\"scorecard\" id=\"" + id + "\" data-run=\"" + std::to_string(card.run) + "\">\n" +
       scorecard_head(card) + "<tbody>\n";
  const bool faith = !card.faithfulness.methods.empty(), csc = !card.csc.empty();
  const size_t columns = 1 + 2 * card.randomization.size() + (csc ? 1 : 0) + (faith ? 2 : 0) + card.ranks.size();
  std::string family;
  for (const std::string& m : card.methods) {
    const std::string f = method_family(m);
    if (f != family) {
      family = f;
      h += "<tr class=\"family\"><th colspan=\"" + std::to_string(columns) + "\">" +
           esc(f == "baselines" ? "baselines (references: maps that ignore the model)" : f) + "</th></tr>\n";
    }
    h += method_row(card, m, f == "baselines");
  }
  return h + "</tbody>\n</table>\n" + scorecard_notes(card) + scorecard_details(card);
}

}  // namespace sanity::report
