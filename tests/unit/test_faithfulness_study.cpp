// The ranking table over plain numbers, the storage contract of the faithfulness measures
// (check pixel_flipping, stage -1), `sanity check --checks pixel_flipping` and `sanity faithfulness`.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/rng.h"
#include "faithfulness/ranking.h"
#include "faithfulness/record.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "study/check_runner.h"
#include "test_util.h"

using namespace sanity;

namespace {

const double kNaN = std::nan("");

// A small .npy test bed of random images for the CNN.
std::string write_images(const std::string& dir, int64_t n) {
  const std::string path = dir + "/images.npy";
  write_npy(path, torch::rand({n, 1, 28, 28}, make_generator(5)));
  return path;
}

}  // namespace

TEST(FaithfulnessRanking, RanksScoresByDirectionWithTiesAndGaps) {
  const MethodScores scores{
      {"a", {{"aopc_morf", 0.9}, {"ssim", 0.2}, {"deletion_auc", 0.1}}},
      {"b", {{"aopc_morf", 0.5}, {"ssim", 0.8}, {"deletion_auc", 0.3}}},
      {"c", {{"aopc_morf", 0.5}, {"ssim", 0.5}, {"deletion_auc", 0.2}}},
      {"d", {{"aopc_morf", 0.1}, {"ssim", kNaN}, {"deletion_auc", 0.4}}},
  };
  // Similarity to the randomized model's maps: lower is better.
  const RankingTable t = rank_methods(scores, {{"aopc_morf", true}, {"ssim", false}, {"deletion_auc", false}});
  ASSERT_EQ(t.methods, (std::vector<std::string>{"a", "b", "c", "d"}));
  // aopc_morf, higher better: a 1, b and c tie for 2 and 3 -> 2.5, d 4.
  EXPECT_EQ(t.ranks[0][0], 1.0);
  EXPECT_EQ(t.ranks[1][0], 2.5);
  EXPECT_EQ(t.ranks[2][0], 2.5);
  EXPECT_EQ(t.ranks[3][0], 4.0);
  // ssim, lower better; d not measured.
  EXPECT_EQ(t.ranks[0][1], 1.0);
  EXPECT_EQ(t.ranks[2][1], 2.0);
  EXPECT_EQ(t.ranks[1][1], 3.0);
  EXPECT_TRUE(std::isnan(t.ranks[3][1]));
  EXPECT_TRUE(std::isnan(t.scores[3][1]));
  // deletion_auc, lower better: a 1, c 2, b 3, d 4.
  EXPECT_EQ(t.ranks[2][2], 2.0);
  EXPECT_EQ(t.ranks[3][2], 4.0);
  // Spearman of the rankings: aopc (1, 2.5, 2.5, 4) vs deletion (1, 3, 2, 4): scipy gives 0.9486833.
  EXPECT_NEAR(t.rank_correlation[0][2], 0.9486832980505138, 1e-12);
  EXPECT_NEAR(t.rank_correlation[2][0], t.rank_correlation[0][2], 1e-15);
  EXPECT_DOUBLE_EQ(t.rank_correlation[0][0], 1.0);
  // ssim vs deletion over a, b, c only: (1, 3, 2) vs (1, 3, 2) -> 1.
  EXPECT_NEAR(t.rank_correlation[1][2], 1.0, 1e-12);
  // (Spearman by itself: stats/ranks.h, StatsRanks.SpearmanClosedForms.)
  // Outputs: the CSV has score and rank per measure, the JSON null for NaN.
  const std::string csv = t.to_csv();
  EXPECT_NE(csv.find("method,aopc_morf,aopc_morf_rank,ssim,ssim_rank,deletion_auc,deletion_auc_rank\n"), std::string::npos);
  EXPECT_NE(csv.find("d,0.1,4,,,0.4,4\n"), std::string::npos) << csv;
  EXPECT_TRUE(t.to_json()["methods"][3]["ranks"]["ssim"].is_null());
  EXPECT_EQ(faithfulness_measures().size(), 5u);
  EXPECT_FALSE(faithfulness_measures()[1].higher_is_better);  // aopc_lerf
  EXPECT_EQ(faithfulness_measures()[2].name, "aopc_gap");
  EXPECT_TRUE(faithfulness_measures()[2].higher_is_better);
}

TEST(FaithfulnessStore, RecordsCurvesAndScoresUnderTheContract) {
  const std::string dir = test::temp_dir("faith-store");
  ResultsStore store(dir + "/results.sqlite");
  const int64_t run = store.open_run({"cnn", "test", {}, 0});
  const Graph g = build_cnn(1);
  const Tensor x = torch::rand({3, 1, 28, 28}, make_generator(2));
  const Tensor ids = torch::tensor({7, 2, 9}, torch::kInt64);
  const FaithfulnessResult r =
      evaluate_faithfulness(g, x, torch::randn_like(x), MapKind::Relevance, torch::zeros({3}, torch::kInt64), ids, {}, 64, 0);
  EXPECT_TRUE(record_faithfulness(store, run, "gradient", r, ids));
  EXPECT_TRUE(store.is_done({run, "pixel_flipping", -1, "gradient"}));
  EXPECT_FALSE(record_faithfulness(store, run, "gradient", r, ids));  // done: nothing written twice

  std::map<std::string, int> per_metric;
  std::set<int64_t> images;
  for (const auto& row : store.rows({.run = run, .check = std::string("pixel_flipping")})) {
    EXPECT_EQ(row.stage, -1);
    EXPECT_EQ(row.method, "gradient");
    EXPECT_EQ(row.layer, "");
    ++per_metric[row.metric];
    images.insert(row.image);
    const bool series = row.metric.find("_prob") != std::string::npos || row.metric.find("_logit") != std::string::npos;
    EXPECT_EQ(row.step >= 0, series) << row.metric;
  }
  EXPECT_EQ(images, (std::set<int64_t>{2, 7, 9}));
  for (const char* m : {"morf_prob", "lerf_prob", "morf_logit", "lerf_logit"}) EXPECT_EQ(per_metric[m], 3 * 17) << m;
  for (const char* m : {"insertion_prob", "deletion_prob"}) EXPECT_EQ(per_metric[m], 3 * 29) << m;
  for (const char* m : {"aopc_morf", "aopc_lerf", "aopc_gap", "insertion_auc", "deletion_auc"})
    EXPECT_EQ(per_metric[m], 3) << m;
  const auto aopc = store.rows({.run = run, .metric = std::string("aopc_morf")});
  EXPECT_NEAR(aopc[0].value, r.pixel_flipping.aopc_morf[1].item<double>(), 1e-12);  // image 2 sorts first
}

TEST(FaithfulnessStudy, CheckRunnerRecordsOneResumableUnitPerMethod) {
  const std::string dir = test::temp_dir("faith-check");
  CheckConfig c;
  c.model = "cnn";
  c.data.spec = write_images(dir, 4);
  c.data.testbed.count = 0;
  c.methods = {"gradient", "constant"};
  c.checks = {"pixel_flipping"};
  c.out_dir = dir + "/study";
  c.progress = false;
  c.batch_size = 32;
  const CheckSummary first = run_checks(c);
  EXPECT_EQ(first.units_done, 2);
  const CheckSummary again = run_checks(c);
  EXPECT_EQ(again.run_id, first.run_id);
  EXPECT_EQ(again.units_done, 0);
  EXPECT_EQ(again.units_skipped, 2);
  ResultsStore store(c.out_dir + "/results.sqlite", true);
  const auto rows = store.rows({.check = std::string("pixel_flipping"), .metric = std::string("aopc_morf")});
  ASSERT_EQ(rows.size(), 8u);
  for (const auto& r : rows) EXPECT_EQ(r.stage, -1);
  EXPECT_TRUE(store.rows({.check = std::string("pixel_flipping"), .metric = std::string("accuracy")}).empty());
  // The protocol is recorded with the results.
  const auto label = store.stage_label(first.run_id, "pixel_flipping", -1);
  ASSERT_TRUE(label.has_value());
  EXPECT_NE(label->find("\"replacement\":\"uniform\""), std::string::npos) << *label;
  // The protocol is part of the run's identity: another protocol is another run.
  const nlohmann::json before = c.identity();
  EXPECT_EQ(before.at("faithfulness").at("order"), "auto");
  c.faithfulness.pixel_flipping.patch = 4;
  EXPECT_NE(c.identity(), before);
  c.faithfulness.pixel_flipping.patch = 9;
  c.faithfulness.order = "signed";
  EXPECT_NE(c.identity(), before);
}

TEST(FaithfulnessStudy, CliWritesCurvesScoresRankingAndDatabase) {
  const std::string dir = test::temp_dir("faith-cli");
  const std::string images = write_images(dir, 3);
  const auto r = test::run_cli("faithfulness --model cnn --data " + images +
                               " --count 0 --methods gradient,noise --patch 7 --out " + dir + "/out --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"curves.csv", "scores.csv", "ranking.csv", "ranking_correlation.csv", "faithfulness.json",
                        "results.sqlite"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/out/" + f)) << f;
  std::ifstream scores(dir + "/out/scores.csv");
  std::string text((std::istreambuf_iterator<char>(scores)), std::istreambuf_iterator<char>());
  EXPECT_EQ(test::count_lines(text), 1 + 2 * 3);
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir + "/out/faithfulness.json"));
  EXPECT_EQ(j["options"]["pixel_flipping"]["patch"], 7);
  EXPECT_EQ(j["methods"][0]["mean_curves"]["morf_prob"].size(), 17u);  // (28/7)^2 regions + 1
  EXPECT_EQ(j["ranking"]["methods"].size(), 2u);
  ResultsStore store(dir + "/out/results.sqlite", true);
  EXPECT_EQ(store.rows({.metric = std::string("deletion_auc")}).size(), 6u);

  const auto bad = test::run_cli("faithfulness --model cnn --data " + images + " --methods gradient --replacement gray --out " +
                                 dir + "/bad");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("replacement"), std::string::npos) << bad.output;
  const auto zero = test::run_cli("faithfulness --model cnn --data " + images + " --methods gradient --patch 0 --out " +
                                  dir + "/bad");
  EXPECT_EQ(zero.exit_code, 2) << zero.output;
  EXPECT_NE(zero.output.find("patch"), std::string::npos) << zero.output;
  // One patch or one step that is the whole image gives every method the same curve.
  const auto whole = test::run_cli("faithfulness --model cnn --data " + images + " --methods gradient --patch 28 --out " +
                                   dir + "/bad --quiet");
  EXPECT_EQ(whole.exit_code, 2) << whole.output;
  EXPECT_NE(whole.output.find("patch = 28: one patch covers the whole 28 x 28 image; expected 1 to 27"), std::string::npos)
      << whole.output;
  const auto one_step = test::run_cli("faithfulness --model cnn --data " + images +
                                      " --methods gradient --pixels-per-step 784 --out " + dir + "/bad --quiet");
  EXPECT_EQ(one_step.exit_code, 2) << one_step.output;
  EXPECT_NE(one_step.output.find("pixels_per_step = 784: the 784-pixel image in one step"), std::string::npos)
      << one_step.output;
}
