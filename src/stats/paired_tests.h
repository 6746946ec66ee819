#pragma once
// Paired comparisons between methods on the same images, and their multiple-testing correction:
// behind every "A changes more than B" a report states.
//
// Wilcoxon signed-rank test, two-sided, on d = x - y (Wilcoxon 1945), as scipy.stats.wilcoxon with
// its defaults (zero_method="wilcox": zero differences are dropped; no continuity correction):
//   exact    n <= 50 differences, none zero and no tied |d|: the null distribution of the positive
//            rank sum by counting subsets; p = 2 min(P(R+ <= r), P(R+ >= r)), 1 at the centre.
//   normal   otherwise: z = (T - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum_t (t^3 - t) / 2) / 24), T =
//            min(R+, R-), ties given average ranks, p = 2 (1 - Phi(|z|)).
// With ties among at most 50 differences scipy 1.10 still takes the exact path on its rank sum cut to
// an integer; we use the tie-corrected normal approximation there, since the exact distribution of
// untied ranks does not hold.
//
// Holm 1979 step-down: with p sorted ascending, p_adj(i) = max over j <= i of min(1, (m - j + 1) p(j))
// (0-based: (m - j) p(j)), returned in the input's order. Controls the family-wise error rate.
#include <cstdint>
#include <vector>

namespace sanity {

struct WilcoxonResult {
  double statistic = 0;  // min(R+, R-)
  double p_value = 1;    // NaN when every difference is zero (or none is given)
  int64_t n = 0;         // non-zero differences used
  bool exact = false;
};

// x and y paired by position, equal sizes; pairs where either is NaN are left out.
WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& x, const std::vector<double>& y);

std::vector<double> holm_adjust(const std::vector<double>& p_values);

}  // namespace sanity
