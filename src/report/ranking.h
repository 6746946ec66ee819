#pragma once
// The ranking table (Binder et al. 2023): each method's score under each randomization check and
// each faithfulness measure, its rank under each, and how far the rankings agree (Spearman
// correlation between the columns). Scores all point up or all point down per column as
// Criterion::higher_is_better says; rank 1 is the best.
//
// Scores (the report's reading guide repeats these):
//   randomization check  1 - mean similarity at the last stage (independent: over all randomized
//                        stages), for the ranking metric (default spearman_abs); higher = the
//                        explanation changes more when the model is randomized
//   csc                  1 - median CSC at the deepest layer; higher = the backward pass did not collapse
//   aopc_morf            mean AOPC, most relevant first (higher = more faithful); aopc_lerf: lower is better
//   aopc_gap             mean AOPC MoRF - AOPC LeRF (higher is better; 0 for an ordering that ignores the model)
//   insertion_auc        mean area under the insertion curve (higher is better); deletion_auc: lower is better
#include <cstdint>
#include <string>
#include <vector>

#include "report/study.h"
#include "stats/bootstrap.h"
#include "stats/ranks.h"

namespace sanity::report {

struct Criterion {
  std::string key;         // "cascading", "csc", "aopc_morf", ...
  std::string label;       // column header
  std::string kind;        // "randomization" or "faithfulness"
  bool higher_is_better = true;
  std::string definition;  // how the score is computed, one sentence
};

struct RankingTable {
  std::vector<std::string> methods;
  std::vector<Criterion> criteria;
  std::vector<std::vector<double>> scores;  // [method][criterion]; NaN = not measured
  std::vector<std::vector<double>> ranks;   // [method][criterion]; 1 = best, ties share their mean rank
  // [criterion][criterion]: Spearman correlation of the two rankings over the methods scored by both
  // (NaN with fewer than 2 such methods or a constant ranking), and how many methods that is.
  std::vector<std::vector<double>> rank_correlation;
  std::vector<std::vector<int64_t>> rank_correlation_n;
  // [criterion][criterion]: estimate = rank_correlation, low/high its percentile-bootstrap interval
  // from resampling the images and ranking afresh (stats/rank_agreement.h); NaN bounds where a
  // criterion has no per-image scores (CSC pools its images into one median).
  std::vector<std::vector<Interval>> rank_correlation_ci;
};

// Ranks and Spearman's rho between rankings: stats/ranks.h.
using sanity::rank_correlation;
using sanity::rank_scores;
// Fills ranks, rank_correlation and rank_correlation_n from methods, criteria and scores.
void rank_table(RankingTable& table);

struct RankingOptions {
  std::string metric = "spearman_abs";  // similarity metric of the randomization scores (first stored metric if absent)
  BootstrapOptions ci;                   // the rank agreements' intervals (seeded per run from ci.seed); resamples 0: none
};
// The run's table from the store: one criterion per check/measure present, methods sorted.
RankingTable ranking_table(const Study& study, int64_t run, const RankingOptions& options = {});

}  // namespace sanity::report
