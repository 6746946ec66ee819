#pragma once
// Rankings of methods by a score and the agreement between two rankings (Binder et al. 2023 compare
// the order randomization checks give with the order faithfulness measures give).
//
// rank_scores: ranks 1..n over the defined scores (1 = best); scores equal to 1e-9 (relative) share
// the mean of their ranks (means of the same numbers summed in another order differ in the last
// bits); NaN scores get NaN.
// rank_correlation: Spearman's rho of two rankings, the Pearson correlation of the ranks over the
// entries where both scores are defined (ranked afresh within them); NaN when fewer than 2 remain or
// one ranking is constant.
#include <cstdint>
#include <vector>

namespace sanity {

std::vector<double> rank_scores(const std::vector<double>& scores, bool higher_is_better);
double rank_correlation(const std::vector<double>& a, bool a_higher, const std::vector<double>& b, bool b_higher,
                        int64_t* n = nullptr);

}  // namespace sanity
