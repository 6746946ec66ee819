#include "report/ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "report/chart_style.h"
#include "faithfulness/record.h"
#include "report/checks.h"
#include "study/checks/check.h"

namespace sanity::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
}

// One column of the table while it is being collected: method -> score.
struct Column {
  Criterion criterion;
  std::map<std::string, double> scores;
};

// Per method, its summaries' means by stage, for one (check, metric).
std::map<std::string, std::map<int64_t, double>> means_by_stage(const std::vector<ResultSummary>& sums,
                                                                const std::string& metric) {
  std::map<std::string, std::map<int64_t, double>> out;
  for (const ResultSummary& s : sums)
    if (!s.method.empty() && s.metric == metric && s.layer.empty() && s.step == -1) out[s.method][s.stage] = s.summary.mean;
  return out;
}

void add_randomization_columns(const Study& study, int64_t run, const RankingOptions& options,
                               std::vector<Column>& columns) {
  for (const CheckInfo& check : randomization_checks()) {
    const std::vector<ResultSummary> sums = study.store().summaries(run_filter(run, check.name));
    std::set<std::string> metrics;
    for (const ResultSummary& s : sums)
      if (!s.method.empty()) metrics.insert(s.metric);
    if (metrics.empty()) continue;
    const std::string metric = metrics.count(options.metric) ? options.metric : *metrics.begin();
    const auto means = means_by_stage(sums, metric);
    int64_t last = -1;
    for (const auto& [method, stages] : means) last = std::max(last, stages.rbegin()->first);
    const bool higher = metric_direction(metric) == Direction::HigherIsMoreSimilar;

    Column col;
    const std::string where = check.score_at_last_stage
                                  ? "at the last stage (" + study.stages(run, check.name).label(last) + ")"
                                  : "averaged over the randomized stages (each layer alone)";
    col.criterion = {check.name, check.name + " \u00b7 " + metric, "randomization", true,
                     (higher ? "1 \u2212 mean " : "mean ") + metric + " " + where +
                         "; higher = the explanation changes more when the model is randomized"};
    for (const auto& [method, stages] : means) {
      double v = kNaN;
      if (check.score_at_last_stage) {
        auto it = stages.find(last);
        if (it != stages.end()) v = it->second;
      } else {
        double sum = 0;
        int n = 0;
        for (const auto& [stage, mean] : stages)
          if (stage > 0 && std::isfinite(mean)) sum += mean, n++;
        if (n > 0) v = sum / n;
      }
      col.scores[method] = higher ? 1 - v : v;
    }
    columns.push_back(std::move(col));
  }
}

void add_csc_column(const Study& study, int64_t run, std::vector<Column>& columns) {
  const std::vector<ResultSummary> sums = study.store().summaries(run_filter(run, kCscCheck, "csc_median"));
  std::map<std::string, const ResultSummary*> deepest;
  for (const ResultSummary& s : sums) {
    if (s.method.empty()) continue;
    const ResultSummary*& d = deepest[s.method];
    if (!d || s.stage > d->stage) d = &s;
  }
  if (deepest.empty()) return;
  Column col;
  col.criterion = {"csc", "CSC \u00b7 deepest layer", "randomization", true,
                   "1 \u2212 median CSC at the layer furthest below the injection layer; higher = the relevance "
                   "there still depends on the layers above (no collapse to rank one, Sixt et al. 2020)"};
  for (const auto& [method, s] : deepest) col.scores[method] = 1 - s->summary.mean;
  columns.push_back(std::move(col));
}

void add_faithfulness_columns(const Study& study, int64_t run, std::vector<Column>& columns) {
  struct Measure {
    const char* metric;
    const char* label;
    bool higher;
    const char* definition;
  };
  static const Measure measures[] = {
      {"aopc_morf", "AOPC MoRF", true,
       "mean AOPC over the images, most relevant regions perturbed first; higher = perturbing what the method "
       "highlights lowers the model's output more (more faithful)"},
      {"aopc_lerf", "AOPC LeRF", false,
       "mean AOPC, least relevant regions first; lower = what the method calls irrelevant really is"},
      {"aopc_gap", "AOPC MoRF \u2212 LeRF", true,
       "mean of AOPC MoRF minus AOPC LeRF (the area between the two curves); an ordering that ignores the model "
       "scores 0, so higher = the map orders regions by what the model uses"},
      {"insertion_auc", "insertion AUC", true,
       "mean area under the insertion curve (pixels added in attribution order); higher is better"},
      {"deletion_auc", "deletion AUC", false,
       "mean area under the deletion curve (pixels removed in attribution order); lower is better"},
  };
  for (const Measure& m : measures) {
    Column col;
    col.criterion = {m.metric, m.label, "faithfulness", m.higher, m.definition};
    for (const ResultSummary& s : study.store().summaries(run_filter(run, kFaithfulnessCheck, m.metric)))
      if (!s.method.empty() && s.step == -1) col.scores[s.method] = s.summary.mean;
    if (!col.scores.empty()) columns.push_back(std::move(col));
  }
}

}  // namespace

// Means of the same numbers summed in another order differ in the last bits ((0.2 + 0.4) / 2 is not
// (0.25 + 0.35) / 2): such scores are the same score.
static bool tied(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)}); }

std::vector<double> rank_scores(const std::vector<double>& scores, bool higher_is_better) {
  std::vector<size_t> order;
  for (size_t i = 0; i < scores.size(); i++)
    if (std::isfinite(scores[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return higher_is_better ? scores[a] > scores[b] : scores[a] < scores[b];
  });
  std::vector<double> ranks(scores.size(), kNaN);
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && tied(scores[order[j + 1]], scores[order[i]])) j++;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;  // ranks i+1 .. j+1
    for (size_t k = i; k <= j; k++) ranks[order[k]] = mean_rank;
    i = j + 1;
  }
  return ranks;
}

double rank_correlation(const std::vector<double>& a, bool a_higher, const std::vector<double>& b, bool b_higher,
                        int64_t* n) {
  std::vector<double> x, y;
  for (size_t i = 0; i < a.size() && i < b.size(); i++)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) x.push_back(a[i]), y.push_back(b[i]);
  if (n) *n = static_cast<int64_t>(x.size());
  if (x.size() < 2) return kNaN;
  return pearson(rank_scores(x, a_higher), rank_scores(y, b_higher));
}

void rank_table(RankingTable& t) {
  const size_t m = t.methods.size(), c = t.criteria.size();
  t.ranks.assign(m, std::vector<double>(c, kNaN));
  std::vector<std::vector<double>> column(c, std::vector<double>(m));
  for (size_t j = 0; j < c; j++) {
    for (size_t i = 0; i < m; i++) column[j][i] = t.scores[i][j];
    const std::vector<double> r = rank_scores(column[j], t.criteria[j].higher_is_better);
    for (size_t i = 0; i < m; i++) t.ranks[i][j] = r[i];
  }
  t.rank_correlation.assign(c, std::vector<double>(c, kNaN));
  t.rank_correlation_n.assign(c, std::vector<int64_t>(c, 0));
  for (size_t j = 0; j < c; j++)
    for (size_t k = 0; k < c; k++)
      t.rank_correlation[j][k] = rank_correlation(column[j], t.criteria[j].higher_is_better, column[k],
                                                  t.criteria[k].higher_is_better, &t.rank_correlation_n[j][k]);
}

RankingTable ranking_table(const Study& study, int64_t run, const RankingOptions& options) {
  std::vector<Column> columns;
  add_randomization_columns(study, run, options, columns);
  add_csc_column(study, run, columns);
  add_faithfulness_columns(study, run, columns);

  RankingTable t;
  std::set<std::string> methods;
  for (const Column& col : columns)
    for (const auto& [method, score] : col.scores) methods.insert(method);
  t.methods.assign(methods.begin(), methods.end());
  for (const Column& col : columns) t.criteria.push_back(col.criterion);
  for (const std::string& method : t.methods) {
    std::vector<double> row;
    for (const Column& col : columns) {
      auto it = col.scores.find(method);
      row.push_back(it == col.scores.end() ? kNaN : it->second);
    }
    t.scores.push_back(std::move(row));
  }
  rank_table(t);
  return t;
}

}  // namespace sanity::report
