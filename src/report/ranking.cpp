#include "report/ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "report/chart_style.h"
#include "faithfulness/record.h"
#include "core/rng.h"
#include "report/checks.h"
#include "stats/rank_agreement.h"
#include "study/checks/check.h"

namespace sanity::report {

namespace {

// One column of the table while it is being collected: method -> score, and where the score is a
// mean over images, the per-image values behind it (method -> groups -> image -> value) with the
// score's form (offset + scale * mean of the group means), for the rank agreements' intervals.
struct Column {
  Criterion criterion;
  std::map<std::string, double> scores;
  std::map<std::string, std::vector<std::map<int64_t, double>>> per_image;
  double offset = 0, scale = 1;
};

// Per method, its per-image values of (check, metric) at each of `stages`, one group per stage.
std::map<std::string, std::vector<std::map<int64_t, double>>> per_image_values(const Study& study, int64_t run,
                                                                               const std::string& check,
                                                                               const std::string& metric,
                                                                               const std::vector<int64_t>& stages) {
  std::map<std::string, std::vector<std::map<int64_t, double>>> out;
  for (size_t g = 0; g < stages.size(); ++g) {
    RowFilter f = run_filter(run, check, metric);
    f.stage = stages[g];
    study.store().each_row(f, [&](const ResultRow& r) {
      if (r.method.empty() || !r.layer.empty() || r.step != -1 || r.image < 0) return;
      auto& groups = out[r.method];
      groups.resize(stages.size());
      groups[g][r.image] = r.value;
    });
  }
  return out;
}

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
  for (const CheckFigure& check : randomization_checks()) {
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
    std::set<int64_t> stage_set;
    for (const auto& [method, stages] : means)
      for (const auto& [stage, mean] : stages)
        if (check.score_at_last_stage ? stage == last : stage > 0) stage_set.insert(stage);
    col.per_image = per_image_values(study, run, check.name, metric, {stage_set.begin(), stage_set.end()});
    col.offset = higher ? 1 : 0;
    col.scale = higher ? -1 : 1;
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
    col.per_image = per_image_values(study, run, kFaithfulnessCheck, m.metric, {-1});
    if (!col.scores.empty()) columns.push_back(std::move(col));
  }
}

// Intervals of the rank correlations between columns with per-image values (stats/rank_agreement.h):
// the images of all such columns resampled jointly. Columns without (CSC: its median pools the
// images) keep NaN bounds.
void rank_agreement_cis(const std::vector<Column>& columns, const RankingOptions& options, int64_t run,
                        RankingTable& t) {
  const size_t c = columns.size();
  t.rank_correlation_ci.assign(c, std::vector<Interval>(c));
  for (size_t j = 0; j < c; ++j)
    for (size_t k = 0; k < c; ++k) {
      Interval& ci = t.rank_correlation_ci[j][k];
      ci.estimate = t.rank_correlation[j][k];
      ci.n = t.rank_correlation_n[j][k];
      ci.low = ci.high = kNaN;
    }
  std::vector<size_t> with_images;
  std::set<int64_t> ids;
  for (size_t j = 0; j < c; ++j) {
    if (columns[j].per_image.empty()) continue;
    with_images.push_back(j);
    for (const auto& [method, groups] : columns[j].per_image)
      for (const auto& g : groups)
        for (const auto& [id, value] : g) ids.insert(id);
  }
  if (with_images.empty() || options.ci.resamples < 1) return;
  const std::vector<int64_t> images(ids.begin(), ids.end());
  std::vector<PerImageCriterion> criteria;
  for (size_t j : with_images) {
    PerImageCriterion pc;
    pc.offset = columns[j].offset;
    pc.scale = columns[j].scale;
    pc.higher_is_better = t.criteria[j].higher_is_better;
    for (const std::string& method : t.methods) {
      std::vector<std::vector<double>> groups;
      auto it = columns[j].per_image.find(method);
      if (it != columns[j].per_image.end())
        for (const auto& g : it->second) {
          std::vector<double> v;
          for (int64_t id : images) {
            auto at = g.find(id);
            v.push_back(at == g.end() ? kNaN : at->second);
          }
          groups.push_back(std::move(v));
        }
      pc.values.push_back(std::move(groups));
    }
    criteria.push_back(std::move(pc));
  }
  BootstrapOptions o = options.ci;
  o.seed = derive_seed(options.ci.seed, "rank_agreement:" + std::to_string(run));
  const auto intervals = rank_agreement_intervals(criteria, static_cast<int64_t>(images.size()), o);
  for (size_t a = 0; a < with_images.size(); ++a)
    for (size_t b = 0; b < with_images.size(); ++b) {
      Interval& ci = t.rank_correlation_ci[with_images[a]][with_images[b]];
      ci.low = intervals[a][b].low;
      ci.high = intervals[a][b].high;
    }
}

}  // namespace

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
  rank_agreement_cis(columns, options, run, t);
  return t;
}

}  // namespace sanity::report
