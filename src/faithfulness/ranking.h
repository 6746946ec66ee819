#pragma once
// The ranking table (Binder et al. 2023): each method's score under each randomization check and
// each faithfulness measure, its rank under each, and how the measures' rankings agree (Spearman).
// Works on plain numbers, so the report and the CLI build it from whatever they read:
//   RankingTable t = rank_methods({{"gradient", {{"aopc_morf", 0.31}, {"cascading_ssim", 0.2}}}, ...},
//                                 {{"aopc_morf", true}, {"cascading_ssim", false}});
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace sanity {

struct Measure {
  std::string name;
  bool higher_is_better = true;
};

// method -> measure -> score. A missing or NaN score is "not measured" and gets no rank.
using MethodScores = std::map<std::string, std::map<std::string, double>>;

struct RankingTable {
  std::vector<std::string> methods;  // in the input map's order
  std::vector<Measure> measures;
  std::vector<std::vector<double>> scores;  // [method][measure]; NaN where not measured
  // [method][measure]: 1 = best among the methods measured; ties share the mean of their ranks
  // (scipy.stats.rankdata "average"); NaN where not measured.
  std::vector<std::vector<double>> ranks;
  // [measure][measure]: Spearman rank correlation of the two rankings over the methods measured by
  // both (1 on the diagonal); NaN with fewer than 2 common methods or a constant ranking.
  std::vector<std::vector<double>> rank_correlation;

  nlohmann::json to_json() const;
  // One row per method: method, then score and rank per measure ("<measure>", "<measure>_rank").
  std::string to_csv() const;
  // The correlation matrix as CSV: measure, then one column per measure.
  std::string correlation_csv() const;
};

RankingTable rank_methods(const MethodScores& scores, const std::vector<Measure>& measures);

// The faithfulness measures and their direction: aopc_morf (higher better), aopc_lerf (lower),
// aopc_gap (higher), insertion_auc (higher), deletion_auc (lower).
const std::vector<Measure>& faithfulness_measures();

// Ranks and their correlation: stats/ranks.h (rank_scores, rank_correlation).

}  // namespace sanity
