#include "stats/rank_agreement.h"

#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"
#include "stats/ranks.h"

namespace sanity {

std::vector<double> criterion_scores(const PerImageCriterion& c, const std::vector<int64_t>& weights) {
  std::vector<double> scores;
  scores.reserve(c.values.size());
  for (const auto& groups : c.values) {
    double sum_of_means = 0;
    bool defined = !groups.empty();
    for (const auto& v : groups) {
      if (v.size() != weights.size()) throw InputError("rank agreement: per-image values and weights differ in length");
      double sum = 0, count = 0;
      for (size_t i = 0; i < v.size(); ++i)
        if (weights[i] && std::isfinite(v[i])) sum += static_cast<double>(weights[i]) * v[i], count += static_cast<double>(weights[i]);
      if (count == 0) {
        defined = false;
        break;
      }
      sum_of_means += sum / count;
    }
    scores.push_back(defined ? c.offset + c.scale * sum_of_means / static_cast<double>(groups.size())
                             : std::numeric_limits<double>::quiet_NaN());
  }
  return scores;
}

std::vector<std::vector<Interval>> rank_agreement_intervals(const std::vector<PerImageCriterion>& criteria,
                                                            int64_t n_images, const BootstrapOptions& o) {
  if (o.resamples < 1) throw InputError("bootstrap: resamples must be at least 1");
  if (!(o.confidence > 0 && o.confidence < 1)) throw InputError("bootstrap: confidence must be in (0, 1)");
  const size_t c = criteria.size(), n = static_cast<size_t>(std::max<int64_t>(n_images, 0));
  std::vector<std::vector<Interval>> out(c, std::vector<Interval>(c));
  const auto correlate = [&](const std::vector<std::vector<double>>& scores, size_t a, size_t b, int64_t* count) {
    return rank_correlation(scores[a], criteria[a].higher_is_better, scores[b], criteria[b].higher_is_better, count);
  };
  std::vector<std::vector<double>> scores(c);
  const std::vector<int64_t> all(n, 1);
  for (size_t a = 0; a < c; ++a) scores[a] = criterion_scores(criteria[a], all);
  for (size_t a = 0; a < c; ++a)
    for (size_t b = 0; b < c; ++b) out[a][b].estimate = correlate(scores, a, b, &out[a][b].n);

  // draws[a][b][r]: rho of resample r; the matrix is symmetric, so only a <= b is drawn.
  std::vector<std::vector<std::vector<double>>> draws(c, std::vector<std::vector<double>>(c));
  std::mt19937_64 gen(o.seed);
  std::vector<int64_t> weight(n);
  for (int64_t r = 0; r < o.resamples && n > 0; ++r) {
    std::fill(weight.begin(), weight.end(), 0);
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    for (size_t i = 0; i < n; ++i) ++weight[pick(gen)];
    for (size_t a = 0; a < c; ++a) scores[a] = criterion_scores(criteria[a], weight);
    for (size_t a = 0; a < c; ++a)
      for (size_t b = a; b < c; ++b) draws[a][b].push_back(correlate(scores, a, b, nullptr));
  }
  for (size_t a = 0; a < c; ++a)
    for (size_t b = a; b < c; ++b) {
      percentile_interval(draws[a][b], o.confidence, out[a][b]);
      out[b][a].low = out[a][b].low;
      out[b][a].high = out[a][b].high;
    }
  return out;
}

}  // namespace sanity
