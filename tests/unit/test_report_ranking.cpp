// The ranking table: scores as the report defines them, ranks with ties, and the rank correlation
// between rankings, on hand-made cases whose answers are worked out in the comments.
#include <cmath>

#include "report/figures.h"
#include "report/ranking.h"
#include "report_study.h"
#include "test_util.h"

using namespace sanity;
using namespace sanity::report;

namespace {

bool same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

size_t column(const RankingTable& t, const std::string& key) {
  for (size_t j = 0; j < t.criteria.size(); j++)
    if (t.criteria[j].key == key) return j;
  ADD_FAILURE() << "no criterion " << key;
  return 0;
}

// Three methods A, B, C with hand-picked means (one image each, so mean = value).
std::string hand_made_study(const std::string& dir) {
  ResultsStore store(dir + "/results.sqlite");
  const int64_t run = store.open_run({"cnn", "mnist:test:1", nullptr, 0});
  const std::vector<std::string> methods = {"A", "B", "C"};
  // cascading, spearman_abs at stages 0, 1, 2: the last stage's means are A 0.2, B 0.9, C 0.5.
  const double casc[3][3] = {{1, 0.6, 0.2}, {1, 0.95, 0.9}, {1, 0.7, 0.5}};
  // mse (lower = more similar) at the last stage: A 0.1, B 0.3, C 0.2.
  const double mse[3] = {0.1, 0.3, 0.2};
  // independent stages 1 and 2: A (0.4 + 0.6) / 2 = 0.5, B 0.9, C 0.3.
  const double indep[3][2] = {{0.4, 0.6}, {0.8, 1.0}, {0.2, 0.4}};
  for (int64_t s = 0; s < 3; s++) {
    store.label_stage(run, "cascading", s, s == 0 ? "original" : "layer" + std::to_string(s));
    store.label_stage(run, "independent", s, s == 0 ? "original" : "layer" + std::to_string(s));
    for (int m = 0; m < 3; m++) {
      std::vector<Measurement> rows = {{"spearman_abs", casc[m][s], 0}};
      if (s == 2) rows.push_back({"mse", mse[m], 0});
      store.record_unit({run, "cascading", s, methods[m]}, rows);
      store.record_unit({run, "independent", s, methods[m]}, {{"spearman_abs", s == 0 ? 1.0 : indep[m][s - 1], 0}});
    }
  }
  // CSC medians at depths 0 and 1 (deepest: 1): A 0.3, B 0.99, C 0.5.
  const double csc_deep[3] = {0.3, 0.99, 0.5};
  for (int m = 0; m < 3; m++) {
    store.record_unit({run, "csc", 0, methods[m]}, {{"csc_median", 0.1, -1, -1, "fc1"}});
    store.record_unit({run, "csc", 1, methods[m]}, {{"csc_median", csc_deep[m], -1, -1, "conv1"}});
  }
  // Faithfulness, two images each: aopc_morf means A 0.3, B 0.1, C 0.3 (a tie); deletion_auc
  // (lower is better) means A 0.2, B 0.4, C 0.3. B has no aopc_lerf.
  const double morf[3][2] = {{0.2, 0.4}, {0.1, 0.1}, {0.25, 0.35}};
  const double del[3][2] = {{0.2, 0.2}, {0.3, 0.5}, {0.3, 0.3}};
  for (int m = 0; m < 3; m++) {
    std::vector<Measurement> rows;
    for (int i = 0; i < 2; i++) {
      rows.push_back({"aopc_morf", morf[m][i], i});
      rows.push_back({"deletion_auc", del[m][i], i});
      if (m != 1) rows.push_back({"aopc_lerf", 0.05 * (m + 1), i});
      rows.push_back({"morf_prob", 0.5, i, 0});  // a curve point: not a per-image score
    }
    store.record_unit({run, "pixel_flipping", -1, methods[m]}, rows);
  }
  test::write_text(dir + "/study.json", "{}");
  return dir;
}

}  // namespace

TEST(ReportRanking, RanksShareTiesAndSkipUndefinedScores) {
  const double nan = std::nan("");
  EXPECT_TRUE(same(rank_scores({0.9, 0.5, 0.5, 0.1}, true), {1, 2.5, 2.5, 4}));
  EXPECT_TRUE(same(rank_scores({0.9, 0.5, 0.5, 0.1}, false), {4, 2.5, 2.5, 1}));
  EXPECT_TRUE(same(rank_scores({3, nan, 1, 3, 3}, true), {2, nan, 4, 2, 2}));  // ranks 1..3 share 2
  EXPECT_TRUE(same(rank_scores({}, true), {}));
  // Equal up to rounding is a tie: the two means of the hand-made study below.
  EXPECT_TRUE(same(rank_scores({(0.2 + 0.4) / 2, 0.1, (0.25 + 0.35) / 2}, true), {1.5, 3, 1.5}));
}

TEST(ReportRanking, RankCorrelationIsSpearmanOverTheMethodsScoredByBoth) {
  // Ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): deviations (-1.5, 0, 0, 1.5) and (-1.5, -0.5, 0.5, 1.5),
  // r = 4.5 / sqrt(4.5 * 5) = sqrt(0.9).
  int64_t n = 0;
  EXPECT_NEAR(rank_correlation({0.9, 0.5, 0.5, 0.1}, true, {1, 2, 3, 4}, false, &n), std::sqrt(0.9), 1e-12);
  EXPECT_EQ(n, 4);
  // Opposite directions of the same scores give opposite rankings.
  EXPECT_NEAR(rank_correlation({1, 2, 3}, true, {1, 2, 3}, false), -1.0, 1e-12);
  // A NaN drops that method from both; the rest are ranked afresh: (3, 1) vs (2, 4) -> -1.
  EXPECT_NEAR(rank_correlation({3, std::nan(""), 1}, true, {2, 5, 4}, true, &n), -1.0, 1e-12);
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(std::isnan(rank_correlation({1, std::nan("")}, true, {1, 2}, true, &n)));
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(std::isnan(rank_correlation({1, 1, 1}, true, {1, 2, 3}, true)));  // a constant ranking
}

TEST(ReportRanking, ScoresFollowTheDefinitionsOnAHandMadeStudy) {
  const Study study(hand_made_study(test::temp_dir("report-rank")));
  const RankingTable t = ranking_table(study, 1);
  ASSERT_EQ(t.methods, (std::vector<std::string>{"A", "B", "C"}));
  std::vector<std::string> keys;
  for (const Criterion& c : t.criteria) keys.push_back(c.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"cascading", "independent", "csc", "aopc_morf", "aopc_lerf", "deletion_auc"}));

  // cascading: 1 - mean spearman_abs at the last stage -> A 0.8, B 0.1, C 0.5 -> ranks 1, 3, 2.
  const size_t casc = column(t, "cascading");
  EXPECT_NEAR(t.scores[0][casc], 0.8, 1e-12);
  EXPECT_NEAR(t.scores[1][casc], 0.1, 1e-12);
  EXPECT_NEAR(t.scores[2][casc], 0.5, 1e-12);
  EXPECT_TRUE(same({t.ranks[0][casc], t.ranks[1][casc], t.ranks[2][casc]}, {1, 3, 2}));
  EXPECT_NE(t.criteria[casc].definition.find("layer2"), std::string::npos) << t.criteria[casc].definition;
  // independent: 1 - mean over stages 1 and 2 -> A 0.5, B 0.1, C 0.7 -> ranks 2, 3, 1.
  const size_t ind = column(t, "independent");
  EXPECT_NEAR(t.scores[0][ind], 0.5, 1e-12);
  EXPECT_NEAR(t.scores[1][ind], 0.1, 1e-12);
  EXPECT_NEAR(t.scores[2][ind], 0.7, 1e-12);
  // csc: 1 - median at the deepest layer -> A 0.7, B 0.01, C 0.5.
  const size_t csc = column(t, "csc");
  EXPECT_NEAR(t.scores[0][csc], 0.7, 1e-12);
  EXPECT_NEAR(t.scores[1][csc], 0.01, 1e-12);
  EXPECT_NEAR(t.scores[2][csc], 0.5, 1e-12);
  // aopc_morf: means A 0.3, B 0.1, C 0.3 -> a tie for the best: ranks 1.5, 3, 1.5.
  const size_t morf = column(t, "aopc_morf");
  EXPECT_TRUE(t.criteria[morf].higher_is_better);
  EXPECT_NEAR(t.scores[0][morf], 0.3, 1e-12);
  EXPECT_TRUE(same({t.ranks[0][morf], t.ranks[1][morf], t.ranks[2][morf]}, {1.5, 3, 1.5}));
  // deletion_auc, lower is better: means A 0.2, B 0.4, C 0.3 -> ranks 1, 3, 2.
  const size_t del = column(t, "deletion_auc");
  EXPECT_FALSE(t.criteria[del].higher_is_better);
  EXPECT_TRUE(same({t.ranks[0][del], t.ranks[1][del], t.ranks[2][del]}, {1, 3, 2}));
  // aopc_lerf: B not measured -> NaN score and rank.
  const size_t lerf = column(t, "aopc_lerf");
  EXPECT_TRUE(std::isnan(t.scores[1][lerf]) && std::isnan(t.ranks[1][lerf]));

  // Rank correlations: cascading (1, 3, 2) vs aopc_morf (1.5, 3, 1.5): deviations (-1, 1, 0) and
  // (-0.5, 1, -0.5): r = 1.5 / sqrt(2 * 1.5) = sqrt(3) / 2.
  EXPECT_NEAR(t.rank_correlation[casc][morf], std::sqrt(3.0) / 2, 1e-12);
  EXPECT_NEAR(t.rank_correlation[morf][casc], std::sqrt(3.0) / 2, 1e-12);
  EXPECT_EQ(t.rank_correlation_n[casc][morf], 3);
  // cascading vs deletion: the same ranking -> 1; a column with itself -> 1.
  EXPECT_NEAR(t.rank_correlation[casc][del], 1.0, 1e-12);
  EXPECT_NEAR(t.rank_correlation[ind][ind], 1.0, 1e-12);
  // aopc_lerf was measured for A and C only.
  EXPECT_EQ(t.rank_correlation_n[casc][lerf], 2);

  // Another similarity metric: mse points the other way, so its score is the mean itself
  // (A 0.1, B 0.3, C 0.2: B changed most). Independent has no mse: it falls back to spearman_abs.
  const RankingTable m = ranking_table(study, 1, {"mse"});
  const size_t mc = column(m, "cascading");
  EXPECT_NEAR(m.scores[0][mc], 0.1, 1e-12);
  EXPECT_NEAR(m.scores[1][mc], 0.3, 1e-12);
  EXPECT_TRUE(same({m.ranks[0][mc], m.ranks[1][mc], m.ranks[2][mc]}, {3, 1, 2}));
  EXPECT_NE(m.criteria[mc].label.find("mse"), std::string::npos);
  EXPECT_NE(m.criteria[column(m, "independent")].label.find("spearman_abs"), std::string::npos);
}

TEST(ReportRanking, RankingFiguresCarryTheTablesRanksAndCorrelations) {
  const Study study(hand_made_study(test::temp_dir("report-rank-fig")));
  const RankingTable t = ranking_table(study, 1);
  const RunContext c = make_run_context(study, study.runs()[0]);
  const std::vector<Figure> figs = ranking_figures(c, t);
  ASSERT_EQ(figs.size(), 2u);
  const nlohmann::json& cells = figs[0].spec["data"]["values"];
  ASSERT_EQ(cells.size(), t.methods.size() * t.criteria.size());
  for (const nlohmann::json& cell : cells) {
    const size_t i = std::find(t.methods.begin(), t.methods.end(), cell["method"]) - t.methods.begin();
    size_t j = 0;
    while (j < t.criteria.size() && cell["criterion"].get<std::string>().rfind(t.criteria[j].label, 0) != 0) j++;
    ASSERT_LT(j, t.criteria.size()) << cell;
    if (std::isnan(t.ranks[i][j]))
      EXPECT_TRUE(cell["rank"].is_null());
    else
      EXPECT_EQ(cell["rank"].get<double>(), t.ranks[i][j]) << cell;
  }
  const nlohmann::json& corr = figs[1].spec["data"]["values"];
  ASSERT_EQ(corr.size(), t.criteria.size() * t.criteria.size());
  EXPECT_NEAR(corr[0 * t.criteria.size() + 3]["rho"].get<double>(), std::sqrt(3.0) / 2, 1e-12);  // cascading x aopc_morf
}
