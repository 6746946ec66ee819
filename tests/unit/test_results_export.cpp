// `sanity export`: CSV and JSON files that standard readers (Python's csv and json modules, as
// pandas parses them) read back to the stored rows; bad inputs exit 2 with one line.
#include <cmath>
#include <fstream>

#include "results/store.h"
#include "test_util.h"

using namespace sanity;

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A study with awkward text (commas and quotes in specs and options), NaN and several runs.
std::string make_study(const std::string& dir) {
  const std::string path = dir + "/results.sqlite";
  ResultsStore store(path);
  const int64_t run = store.open_run({"models/my \"net\".onnx", "folder:imgs,small", {{"metrics", "ssim, hog"}}, 3});
  store.record_unit({run, "cascading", 0, "smoothgrad(gradient, n=50, sigma=0.15)"},
                    {{"spearman_abs", 0.1, 0}, {"spearman_abs", std::nan(""), 1}, {"ssim(data_range=2)", 1.0 / 3, 0}});
  store.record_unit({run, "cascading", 0, ""}, {{"accuracy", 0.992}});
  store.record_unit({run, "pixel_flipping", -1, "gradient"}, {{"morf_logit", -1e-7, 4, 2}, {"aopc_morf", 2.5, 4}});
  store.open_run({"cnn", "mnist:test:200", nullptr, 0});
  return path;
}

}  // namespace

TEST(ResultsExport, CsvAndJsonReadBackToTheStoredRows) {
  const std::string dir = test::temp_dir("export");
  const std::string db = make_study(dir);
  test::CommandResult r = test::run_cli("export --db " + db + " --out " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::count_lines(r.output), 6) << r.output;  // measurements, runs, summaries: CSV and JSON

  // Python's csv and json modules parse what pandas parses; the script prints what it read.
  const std::string script = dir + "/read.py";
  std::ofstream(script) << R"(import csv, json, math, sys
d = sys.argv[1]
m = list(csv.DictReader(open(d + "/measurements.csv", newline="")))
runs = list(csv.DictReader(open(d + "/runs.csv", newline="")))
mj = json.load(open(d + "/measurements.json"))
rj = json.load(open(d + "/runs.json"))
assert len(m) == len(mj) == 6, (len(m), len(mj))
for a, b in zip(m, mj):
    assert int(a["run_id"]) == b["run_id"] and a["method"] == b["method"] and a["metric"] == b["metric"]
    assert int(a["image"]) == b["image"] and int(a["step"]) == b["step"] and a["check"] == b["check"]
    assert (a["value"] == "" and b["value"] is None) or float(a["value"]) == b["value"], (a, b)
print(len(runs), len(rj), runs[0]["model"], runs[0]["data"], json.loads(runs[0]["options"])["metrics"], rj[0]["options"]["metrics"])
for a in m:
    print(a["check"], a["stage"], a["method"], a["metric"], a["image"], a["step"], repr(a["value"]), sep="|")
)";
  r = test::run_command(std::string(SANITY_PYTHON) + " " + script + " " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string expected =
      "2 2 models/my \"net\".onnx folder:imgs,small ssim, hog ssim, hog\n"
      "cascading|0||accuracy|-1|-1|'0.992'\n"
      "cascading|0|smoothgrad(gradient, n=50, sigma=0.15)|spearman_abs|0|-1|'0.1'\n"
      "cascading|0|smoothgrad(gradient, n=50, sigma=0.15)|spearman_abs|1|-1|''\n"
      "cascading|0|smoothgrad(gradient, n=50, sigma=0.15)|ssim(data_range=2)|0|-1|'0.3333333333333333'\n"
      "pixel_flipping|-1|gradient|aopc_morf|4|-1|'2.5'\n"
      "pixel_flipping|-1|gradient|morf_logit|4|2|'-1e-07'\n";
  EXPECT_EQ(r.output, expected);
}

TEST(ResultsExport, OneFormatOnlyAndBadInputsExitTwoWithOneLine) {
  const std::string dir = test::temp_dir("export-bad");
  const std::string db = make_study(dir);
  test::CommandResult r = test::run_cli("export --db " + db + " --out " + dir + "/json --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/json/measurements.json"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/json/measurements.csv"));

  r = test::run_cli("export --db " + db + " --out " + dir + "/x --format xml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("unknown format 'xml'"), std::string::npos) << r.output;

  const std::string text = dir + "/notes.txt";
  std::ofstream(text) << std::string(3000, 'n');
  r = test::run_cli("export --db " + text + " --out " + dir + "/y");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(text + "': not an SQLite database"), std::string::npos) << r.output;

  r = test::run_cli("export --db " + dir + "/none.sqlite --out " + dir + "/z");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("none.sqlite': cannot open"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/none.sqlite"));  // export never creates a database
}

TEST(ResultsExport, SummariesCarryBootstrapIntervalsThatScipyAgreesWith) {
  // 40 per-image scores in one curve point, 3 of them NaN, and a point with one score.
  const std::string dir = test::temp_dir("export-ci");
  const std::string db = dir + "/results.sqlite";
  {
    ResultsStore store(db);
    const int64_t run = store.open_run({"cnn", "mnist:test:40", nullptr, 0});
    std::vector<Measurement> rows;
    for (int64_t i = 0; i < 40; ++i) rows.push_back({"spearman_abs", i % 13 == 5 ? std::nan("") : std::sin(0.7 * i) * std::sin(0.7 * i), i});
    store.record_unit({run, "cascading", 1, "gradient"}, rows);
    store.record_unit({run, "cascading", 0, ""}, {{"accuracy", 0.75}});
  }
  test::CommandResult r = test::run_cli("export --db " + db + " --out " + dir + "/a --resamples 20000 --confidence 0.9");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(test::run_cli("export --db " + db + " --out " + dir + "/b --resamples 20000 --confidence 0.9").exit_code, 0);
  EXPECT_EQ(file_text(dir + "/a/summaries.csv"), file_text(dir + "/b/summaries.csv")) << "seeded: the same bounds";
  const std::string script = dir + "/check.py";
  std::ofstream(script) << R"(import csv, json, math, sys
import numpy as np, scipy.stats
d = sys.argv[1]
s = list(csv.DictReader(open(d + "/summaries.csv", newline="")))
sj = json.load(open(d + "/summaries.json"))
assert len(s) == len(sj) == 2, s
m = [float(a["value"]) for a in csv.DictReader(open(d + "/measurements.csv", newline="")) if a["method"] == "gradient" and a["value"] != ""]
acc, g = s
assert acc["metric"] == "accuracy" and float(acc["ci_low"]) == float(acc["ci_high"]) == 0.75, acc
assert int(g["n"]) == len(m) == 37 and int(g["nan_count"]) == 3 and float(g["confidence"]) == 0.9, g
assert abs(float(g["mean"]) - np.mean(m)) < 1e-12 and abs(float(g["std"]) - np.std(m, ddof=1)) < 1e-12, g
ref = scipy.stats.bootstrap((np.array(m),), np.mean, method="percentile", confidence_level=0.9, n_resamples=20000,
                            random_state=np.random.default_rng(0)).confidence_interval
sem = np.std(m, ddof=1) / math.sqrt(len(m))
assert abs(float(g["ci_low"]) - ref.low) < 0.1 * sem and abs(float(g["ci_high"]) - ref.high) < 0.1 * sem, (g, ref)
assert sj[1]["ci_low"] == float(g["ci_low"]) and sj[1]["n"] == 37, sj[1]
print("ok")
)";
  r = test::run_command(std::string(SANITY_PYTHON) + " " + script + " " + dir + "/a");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "ok\n");
}
