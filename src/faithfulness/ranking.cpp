#include "faithfulness/ranking.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "stats/ranks.h"

namespace sanity {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

nlohmann::json json_number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

}  // namespace

RankingTable rank_methods(const MethodScores& scores, const std::vector<Measure>& measures) {
  RankingTable t;
  t.measures = measures;
  for (const auto& [method, by_measure] : scores) {
    t.methods.push_back(method);
    std::vector<double> row;
    for (const auto& m : measures) {
      auto it = by_measure.find(m.name);
      row.push_back(it == by_measure.end() || !std::isfinite(it->second) ? kNaN : it->second);
    }
    t.scores.push_back(row);
  }
  const size_t nm = t.methods.size(), nq = measures.size();
  t.ranks.assign(nm, std::vector<double>(nq, kNaN));
  std::vector<std::vector<double>> by_measure(nq, std::vector<double>(nm));
  for (size_t q = 0; q < nq; ++q) {
    for (size_t m = 0; m < nm; ++m) by_measure[q][m] = t.scores[m][q];
    const std::vector<double> r = rank_scores(by_measure[q], measures[q].higher_is_better);
    for (size_t m = 0; m < nm; ++m) t.ranks[m][q] = r[m];
  }
  // Correlating ranks (1 = best) rather than raw scores puts every measure's direction in agreement:
  // +1 means two measures order the methods the same way from best to worst.
  std::vector<std::vector<double>> rank_columns(nq, std::vector<double>(nm));
  for (size_t q = 0; q < nq; ++q)
    for (size_t m = 0; m < nm; ++m) rank_columns[q][m] = t.ranks[m][q];
  t.rank_correlation.assign(nq, std::vector<double>(nq, kNaN));
  for (size_t a = 0; a < nq; ++a)
    for (size_t b = 0; b < nq; ++b) t.rank_correlation[a][b] = rank_correlation(rank_columns[a], false, rank_columns[b], false);
  return t;
}

const std::vector<Measure>& faithfulness_measures() {
  static const std::vector<Measure> m{
      {"aopc_morf", true}, {"aopc_lerf", false}, {"aopc_gap", true}, {"insertion_auc", true}, {"deletion_auc", false}};
  return m;
}

nlohmann::json RankingTable::to_json() const {
  nlohmann::json j;
  j["measures"] = nlohmann::json::array();
  for (const auto& m : measures) j["measures"].push_back({{"name", m.name}, {"higher_is_better", m.higher_is_better}});
  j["methods"] = nlohmann::json::array();
  for (size_t m = 0; m < methods.size(); ++m) {
    nlohmann::json row{{"method", methods[m]}};
    for (size_t q = 0; q < measures.size(); ++q) {
      row["scores"][measures[q].name] = json_number(scores[m][q]);
      row["ranks"][measures[q].name] = json_number(ranks[m][q]);
    }
    j["methods"].push_back(row);
  }
  for (size_t a = 0; a < measures.size(); ++a)
    for (size_t b = 0; b < measures.size(); ++b)
      j["rank_correlation"][measures[a].name][measures[b].name] = json_number(rank_correlation[a][b]);
  return j;
}

std::string RankingTable::to_csv() const {
  std::ostringstream s;
  s << "method";
  for (const auto& m : measures) s << "," << csv_text(m.name) << "," << csv_text(m.name + "_rank");
  s << "\n";
  for (size_t m = 0; m < methods.size(); ++m) {
    s << csv_text(methods[m]);
    for (size_t q = 0; q < measures.size(); ++q) s << "," << csv_number(scores[m][q]) << "," << csv_number(ranks[m][q]);
    s << "\n";
  }
  return s.str();
}

std::string RankingTable::correlation_csv() const {
  std::ostringstream s;
  s << "measure";
  for (const auto& m : measures) s << "," << csv_text(m.name);
  s << "\n";
  for (size_t a = 0; a < measures.size(); ++a) {
    s << csv_text(measures[a].name);
    for (size_t b = 0; b < measures.size(); ++b) s << "," << csv_number(rank_correlation[a][b]);
    s << "\n";
  }
  return s.str();
}

}  // namespace sanity
