// The results store: rows round-trip, runs resume by configuration, units are atomic (a process
// SIGKILLed mid-study loses nothing committed and a rerun completes it to exactly the content of an
// uninterrupted run), and files that are not results databases are refused with one clear error.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include <sqlite3.h>
#include <torch/version.h>

#include "core/error.h"
#include "results/store.h"
#include "test_util.h"

using namespace sanity;

namespace {

RunConfig study_config() {
  return {"cnn", "mnist:test:200", {{"methods", {"gradient", "smoothgrad(gradient, n=50)"}}, {"order", "top_down"}}, 7};
}

// A deterministic unit of `n` rows, with an undefined (NaN) score every 13th row.
std::vector<Measurement> unit_rows(int unit, int n) {
  std::vector<Measurement> rows;
  for (int i = 0; i < n; ++i) {
    const double v = (i % 13 == 5) ? std::nan("") : std::sin(unit * 1000.0 + i);
    rows.push_back({i % 2 ? "ssim(data_range=1)" : "spearman_abs", v, i / 2, -1, ""});
  }
  return rows;
}

// A store of an earlier schema version, made by hand: the tables every version has had (runs, units,
// stages, and one run), then `sql` (the version's own tables, rows and pragmas).
void write_old_store(const std::string& path, const std::string& sql) {
  const std::string common = R"sql(
CREATE TABLE runs (run_id INTEGER PRIMARY KEY, model TEXT NOT NULL, data TEXT NOT NULL, options TEXT NOT NULL,
  seed INTEGER NOT NULL, sanity_version TEXT NOT NULL, torch_version TEXT NOT NULL, created TEXT NOT NULL,
  UNIQUE (model, data, options, seed));
CREATE TABLE units (run_id INTEGER NOT NULL REFERENCES runs (run_id), check_name TEXT NOT NULL, stage INTEGER NOT NULL,
  method TEXT NOT NULL, row_count INTEGER NOT NULL, completed TEXT NOT NULL,
  PRIMARY KEY (run_id, check_name, stage, method)) WITHOUT ROWID;
CREATE TABLE stages (run_id INTEGER NOT NULL REFERENCES runs (run_id), check_name TEXT NOT NULL, stage INTEGER NOT NULL,
  label TEXT NOT NULL, PRIMARY KEY (run_id, check_name, stage)) WITHOUT ROWID;
INSERT INTO runs VALUES (1, 'cnn', 'mnist:test:2', '{}', 7, '0.1.0', '1.13.1', '2026-01-01T00:00:00Z');
)sql";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, (common + sql).c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// The first row of a plain-SQL query on the file (as a user's sqlite3 reads it), each column as text;
// empty when the query fails or returns nothing.
std::vector<std::string> sql_row(const std::string& path, const std::string& query) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, query.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      const unsigned char* t = sqlite3_column_text(s, i);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

WorkUnit unit_key(int64_t run, int u) { return {run, "cascading", u % 5, "method" + std::to_string(u / 5)}; }

// Writes units 0..total-1 that are not done yet; after_unit(u) runs after each commit.
void write_study(const std::string& path, int total, int rows_per_unit, const std::function<void(int)>& after_unit) {
  ResultsStore store(path);
  const int64_t run = store.open_run(study_config());
  for (int u = 0; u < total; ++u) {
    if (store.is_done(unit_key(run, u))) continue;
    EXPECT_TRUE(store.record_unit(unit_key(run, u), unit_rows(u, rows_per_unit)));
    after_unit(u);
  }
}

bool same_row(const ResultRow& a, const ResultRow& b) {
  return a.run == b.run && a.check == b.check && a.stage == b.stage && a.method == b.method && a.metric == b.metric &&
         a.layer == b.layer && a.image == b.image && a.step == b.step &&
         (a.value == b.value || (std::isnan(a.value) && std::isnan(b.value)));
}


}  // namespace

TEST(ResultsStore, RowsRoundTripInKeyOrderWithNaNAndSummaries) {
  const std::string path = test::temp_dir("store-roundtrip") + "/results.sqlite";
  ResultsStore store(path);
  const int64_t run = store.open_run(study_config());
  const WorkUnit unit{run, "cascading", 1, "gradient"};
  // Written out of key order; every kind of key: per image, per layer, per step.
  const std::vector<Measurement> rows = {{"spearman_abs", 0.5, 1}, {"spearman_abs", std::nan(""), 2},
                                         {"spearman_abs", 0.25, 0}, {"spearman_abs", 1.0, 3},
                                         {"activation_norm", 3.5, 0, -1, "conv2"}, {"morf_logit", -2.0, 0, 4},
                                         {"morf_logit", 1e-300, 0, 3}};
  EXPECT_FALSE(store.is_done(unit));
  ASSERT_TRUE(store.record_unit(unit, rows));
  EXPECT_TRUE(store.record_unit({run, "cascading", -1, ""}, {{"accuracy", 0.992}}));
  EXPECT_TRUE(store.is_done(unit));

  const std::vector<ResultRow> got = store.rows({.run = run, .method = "gradient"});
  ASSERT_EQ(got.size(), rows.size());
  // Key order: metric, layer, image, step within the unit.
  EXPECT_EQ(got[0].metric, "activation_norm");
  EXPECT_EQ(got[0].layer, "conv2");
  EXPECT_EQ(got[1].metric, "morf_logit");
  EXPECT_EQ(got[1].step, 3);
  EXPECT_EQ(got[1].value, 1e-300);
  EXPECT_EQ(got[2].step, 4);
  EXPECT_EQ(got[3].image, 0);
  EXPECT_EQ(got[3].value, 0.25);
  EXPECT_TRUE(std::isnan(got[5].value));  // image 2's NaN came back as NaN (NULL in the file)
  EXPECT_EQ(got[6].check, "cascading");
  EXPECT_EQ(got[6].stage, 1);

  const std::vector<ResultSummary> sums = store.summaries({.run = run, .metric = "spearman_abs"});
  ASSERT_EQ(sums.size(), 1u);
  EXPECT_DOUBLE_EQ(sums[0].summary.mean, (0.5 + 0.25 + 1.0) / 3);
  EXPECT_NEAR(sums[0].summary.std, 0.381881307912987, 1e-12);  // sample std of {0.5, 0.25, 1}
  EXPECT_EQ(sums[0].summary.count, 3);
  EXPECT_EQ(sums[0].summary.nan_count, 1);
  EXPECT_EQ(store.summaries({.run = run, .method = "gradient"}).size(), 4u);  // a series keeps one group per step
  EXPECT_EQ(store.rows({.metric = "accuracy"}).at(0).method, "");

  store.label_stage(run, "cascading", 1, "fc2");
  store.label_stage(run, "cascading", 1, "fc2");
  EXPECT_EQ(store.stage_label(run, "cascading", 1).value_or("?"), "fc2");
  EXPECT_FALSE(store.stage_label(run, "cascading", 2).has_value());

  const std::vector<RunInfo> runs = store.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].config.options, study_config().options);
  EXPECT_EQ(runs[0].config.seed, 7u);
  EXPECT_EQ(runs[0].sanity_version, SANITY_VERSION);
  EXPECT_EQ(runs[0].torch_version, TORCH_VERSION);
  EXPECT_EQ(runs[0].created.size(), 20u) << runs[0].created;  // 2024-06-01T12:00:00Z
}

TEST(ResultsStore, SameConfigurationResumesTheRunAndDoneUnitsAreNotRewritten) {
  const std::string path = test::temp_dir("store-resume") + "/results.sqlite";
  int64_t first = 0;
  {
    ResultsStore store(path);
    first = store.open_run(study_config());
    ASSERT_TRUE(store.record_unit(unit_key(first, 0), unit_rows(0, 10)));
  }
  ResultsStore store(path);
  RunConfig same = study_config();
  same.options = nlohmann::json::parse(R"json({"order": "top_down", "methods": ["gradient", "smoothgrad(gradient, n=50)"]})json");
  EXPECT_EQ(store.open_run(same), first);  // key order in the options does not matter
  EXPECT_TRUE(store.is_done(unit_key(first, 0)));
  EXPECT_FALSE(store.record_unit(unit_key(first, 0), unit_rows(99, 10)));  // already complete: nothing written
  EXPECT_EQ(store.rows().at(0).value, unit_rows(0, 10).at(0).value);
  RunConfig other_seed = study_config();
  other_seed.seed = 8;
  RunConfig other_options = study_config();
  other_options.options["order"] = "bottom_up";
  const int64_t second = store.open_run(other_seed), third = store.open_run(other_options);
  EXPECT_NE(second, first);
  EXPECT_NE(third, first);
  EXPECT_NE(third, second);
  EXPECT_FALSE(store.is_done(unit_key(second, 0)));
  EXPECT_EQ(store.runs().size(), 3u);
  EXPECT_EQ(store.done_units(first).size(), 1u);
}

TEST(ResultsStore, AFailedUnitWritesNothing) {
  const std::string path = test::temp_dir("store-atomic") + "/results.sqlite";
  ResultsStore store(path);
  const int64_t run = store.open_run(study_config());
  const WorkUnit unit{run, "cascading", 0, "gradient"};
  std::vector<Measurement> rows = {{"spearman_abs", 0.1, 0}, {"spearman_abs", 0.2, 1}, {"spearman_abs", 0.3, 0}};
  EXPECT_ANY_THROW(store.record_unit(unit, rows));  // image 0 twice
  EXPECT_FALSE(store.is_done(unit));
  EXPECT_TRUE(store.rows().empty());
  rows.pop_back();
  EXPECT_TRUE(store.record_unit(unit, rows));
  EXPECT_EQ(store.rows().size(), 2u);
}

TEST(ResultsStore, KilledWriterLosesNothingCommittedAndARerunCompletesIt) {
  const std::string dir = test::temp_dir("store-crash");
  const int total = 200, rows_per_unit = 300, kill_after = 20;
  int pipe_fd[2];
  ASSERT_EQ(pipe(pipe_fd), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: writes units, reporting each commit; slows down past the kill point so the kill
    // always lands mid-study, then waits to be killed.
    close(pipe_fd[0]);
    write_study(dir + "/crashed.sqlite", total, rows_per_unit, [&](int u) {
      if (write(pipe_fd[1], "u", 1) != 1) _exit(3);
      if (u >= kill_after) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    });
    pause();
    _exit(0);
  }
  close(pipe_fd[1]);
  char c;
  int reported = 0;
  while (reported < kill_after && read(pipe_fd[0], &c, 1) == 1) ++reported;
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  close(pipe_fd[0]);
  ASSERT_EQ(reported, kill_after);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  {
    // Every committed unit is whole, nothing of an uncommitted one is there.
    ResultsStore store(dir + "/crashed.sqlite");
    const std::vector<WorkUnit> done = store.done_units(1);
    EXPECT_GE(done.size(), static_cast<size_t>(kill_after));
    EXPECT_LT(done.size(), static_cast<size_t>(total));
    EXPECT_EQ(store.rows().size(), done.size() * rows_per_unit);
    RecordProperty("units_done_when_killed", static_cast<int>(done.size()));
  }
  int rewritten = 0;
  write_study(dir + "/crashed.sqlite", total, rows_per_unit, [&](int) { ++rewritten; });
  EXPECT_LE(rewritten, total - kill_after);
  write_study(dir + "/uninterrupted.sqlite", total, rows_per_unit, [](int) {});

  const ResultsStore crashed(dir + "/crashed.sqlite", true), clean(dir + "/uninterrupted.sqlite", true);
  const std::vector<ResultRow> a = crashed.rows(), b = clean.rows();
  ASSERT_EQ(a.size(), static_cast<size_t>(total * rows_per_unit));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(same_row(a[i], b[i])) << "row " << i;
  ASSERT_EQ(crashed.runs().size(), 1u);
  EXPECT_EQ(crashed.runs()[0].config.options, clean.runs()[0].config.options);
}

TEST(ResultsStore, FilesThatAreNotResultsDatabasesGiveOneClearError) {
  const std::string dir = test::temp_dir("store-bad");
  const std::string text = dir + "/notes.txt";
  std::ofstream(text) << "model,accuracy\ncnn,0.99\n" << std::string(5000, 'x');
  test::expect_input_error([&] { ResultsStore s(text); }, "results database '" + text + "': not an SQLite database");
  test::expect_input_error([&] { ResultsStore s(text, true); }, "'" + text + "'");

  // Another program's SQLite database is refused, not written into.
  const std::string other = dir + "/other.sqlite";
  sqlite3* db = nullptr;
  sqlite3_open(other.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  test::expect_input_error([&] { ResultsStore s(other); }, "an SQLite database of another program");
  test::expect_input_error([&] { ResultsStore s(other, true); }, "not a sanity results store");

  test::expect_input_error([&] { ResultsStore s(dir + "/missing.sqlite", true); }, "missing.sqlite': cannot open");

  // A results database whose pages were overwritten: the damage is reported, naming the file.
  const std::string broken = dir + "/broken.sqlite";
  {
    ResultsStore s(broken);
    const int64_t run = s.open_run(study_config());
    for (int u = 0; u < 20; ++u) s.record_unit(unit_key(run, u), unit_rows(u, 100));
  }
  const auto size = std::filesystem::file_size(broken);
  ASSERT_GT(size, 16384u);
  {
    std::fstream f(broken, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(static_cast<size_t>(size) - 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  test::expect_input_error([&] { ResultsStore(broken, true).rows(); }, "results database '" + broken + "'");
}

// Schema version 2 keeps a series' keys once and version 3 an image's curve in one row: a
// pixel-flipping-like unit (long method and metric text, 40 images x 50 steps per curve) takes ~12
// bytes a number (its float32 text in a JSON array), where version 2 took ~23 (an 8-byte value and
// its keys) and version 1 ~150 (the keys' text in every row and again in an index).
TEST(ResultsStore, RowsAreStoredCompactly) {
  const std::string path = test::temp_dir("store-compact") + "/results.sqlite";
  {
    ResultsStore store(path);
    const int64_t run = store.open_run(study_config());
    const std::string method = "smoothgrad(lrp(composite=epsilon_plus_flat, epsilon=1e-06), n=50, sigma=0.15)";
    for (int u = 0; u < 10; ++u) {
      std::vector<Measurement> rows;
      for (const char* metric : {"morf_logit_with_a_long_name", "lerf_logit_with_a_long_name"})
        for (int image = 0; image < 40; ++image)
          for (int step = 0; step < 50; ++step) rows.push_back({metric, std::sin(u + image * 0.1 + step), image, step});
      ASSERT_TRUE(store.record_unit({run, "pixel_flipping", u, method}, rows));
    }
    const std::vector<ResultRow> got = store.rows({.run = run, .stage = 3});
    ASSERT_EQ(got.size(), 4000u);
    for (const ResultRow& r : got) {  // lerf before morf, then image, then step
      const double written = std::sin(3 + r.image * 0.1 + r.step);
      ASSERT_EQ(static_cast<float>(r.value), static_cast<float>(written))
          << r.metric << " " << r.image << " " << r.step;
    }
    EXPECT_EQ(got[1].metric, "lerf_logit_with_a_long_name");
    EXPECT_EQ(got[1].step, 1);
    EXPECT_EQ(got[50].image, 1);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_LT(std::filesystem::file_size(path), 40000u * 14) << "bytes for 40,000 rows";
}

// A curve (steps 0..k-1 of one image) is stored at float32 precision, NaN and infinities included,
// and reads back through plain SQL too; a series with gaps in its steps, and every number without a
// step, keep double precision; forgetting a unit removes its curves.
TEST(ResultsStore, CurvesKeepFloat32PrecisionAndOtherNumbersDouble) {
  const std::string path = test::temp_dir("store-curves") + "/results.sqlite";
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> curve = {0.1, 1.0 / 3, nan, inf, -inf, 1e300, -2.5e-5};
  {
    ResultsStore store(path);
    const int64_t run = store.open_run(study_config());
    std::vector<Measurement> rows;
    for (size_t k = curve.size(); k-- > 0;) rows.push_back({"morf_prob", curve[k], 7, static_cast<int64_t>(k)});
    rows.push_back({"lerf_prob", 1.0 / 3, 7, 0});  // steps 0 and 2: not a curve
    rows.push_back({"lerf_prob", 2.0 / 3, 7, 2});
    rows.push_back({"aopc_morf", 1.0 / 7, 7});
    ASSERT_TRUE(store.record_unit({run, "pixel_flipping", -1, "gradient"}, rows));
    ASSERT_TRUE(store.record_unit({run, "pixel_flipping", -1, "sobel"}, {{"morf_prob", 0.5, 7, 0}}));
    const std::vector<ResultRow> got = store.rows({.method = "gradient"});
    ASSERT_EQ(got.size(), rows.size());
    EXPECT_EQ(got[0].value, 1.0 / 7);  // aopc_morf
    EXPECT_EQ(got[1].value, 1.0 / 3);  // lerf_prob, steps 0 and 2, exact
    EXPECT_EQ(got[2].value, 2.0 / 3);
    EXPECT_EQ(got[2].step, 2);
    for (size_t k = 0; k < curve.size(); ++k) {
      const ResultRow& r = got[3 + k];
      ASSERT_EQ(r.metric, "morf_prob");
      ASSERT_EQ(r.step, static_cast<int64_t>(k));
      if (std::isnan(curve[k])) {
        EXPECT_TRUE(std::isnan(r.value));
      } else if (std::fabs(curve[k]) > std::numeric_limits<float>::max()) {
        EXPECT_EQ(r.value, curve[k]) << k;  // beyond float32: in full
      } else {
        EXPECT_EQ(static_cast<float>(r.value), static_cast<float>(curve[k])) << k;
        EXPECT_NEAR(r.value, curve[k], std::fabs(curve[k]) * 1e-7) << k;
      }
    }
    EXPECT_NE(got[4].value, 1.0 / 3);  // rounded, so the test above could fail
    store.forget_unit({run, "pixel_flipping", -1, "gradient"});
    EXPECT_EQ(store.rows().size(), 1u);
  }
  const std::vector<std::string> plain = sql_row(path, "SELECT (SELECT count(*) FROM curves), "
                                                 "(SELECT group_concat(method || ':' || step || '=' || value) "
                                                 "FROM measurements)");
  EXPECT_EQ(plain, (std::vector<std::string>{"1", "sobel:0=0.5"}));
}

// A version 1 store (one table `measurements` with every key in every row) is read as it is when
// opened read-only, and converted to version 3 with the same rows when opened for writing.
TEST(ResultsStore, AVersion1StoreIsReadAndConverted) {
  const std::string path = test::temp_dir("store-v1") + "/results.sqlite";
  write_old_store(path, R"sql(
CREATE TABLE measurements (run_id INTEGER NOT NULL REFERENCES runs (run_id), check_name TEXT NOT NULL,
  stage INTEGER NOT NULL, method TEXT NOT NULL, metric TEXT NOT NULL, layer TEXT NOT NULL, image INTEGER NOT NULL,
  step INTEGER NOT NULL, value REAL, PRIMARY KEY (run_id, check_name, stage, method, metric, layer, image, step)) WITHOUT ROWID;
CREATE INDEX measurements_by_metric ON measurements (run_id, check_name, metric, method, stage);
INSERT INTO units VALUES (1, 'cascading', 1, 'gradient', 3, '2026-01-01T00:00:00Z');
INSERT INTO measurements VALUES (1, 'cascading', 1, 'gradient', 'spearman', '', 1, -1, 0.25),
  (1, 'cascading', 1, 'gradient', 'spearman', '', 0, -1, NULL), (1, 'cascading', 1, 'gradient', 'morf_logit', '', 0, 3, -2.5);
PRAGMA application_id = 1935765097;
PRAGMA user_version = 1;
)sql");
  auto check_rows = [](const std::vector<ResultRow>& rows) {
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].metric, "morf_logit");
    EXPECT_EQ(rows[0].step, 3);
    EXPECT_EQ(rows[0].value, -2.5);
    EXPECT_TRUE(std::isnan(rows[1].value));
    EXPECT_EQ(rows[2].value, 0.25);
  };
  check_rows(ResultsStore(path, /*read_only=*/true).rows());
  {
    ResultsStore store(path);  // converts
    check_rows(store.rows());
    EXPECT_TRUE(store.is_done({1, "cascading", 1, "gradient"}));
    EXPECT_TRUE(store.record_unit({1, "cascading", 2, "gradient"}, {{"spearman", 0.5, 0}, {"morf_logit", 0.75, 0, 0}}));
    store.forget_unit({1, "cascading", 1, "gradient"});
    EXPECT_EQ(store.rows().size(), 2u);
    EXPECT_EQ(store.rows({.metric = "morf_logit"}).at(0).value, 0.75);
  }
  // No measurements_v1 left; 2 series (the forgotten unit's went with it); version 3.
  const std::vector<std::string> converted =
      sql_row(path, "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'measurements_v1'), "
                    "(SELECT count(*) FROM series), (SELECT user_version FROM pragma_user_version)");
  EXPECT_EQ(converted, (std::vector<std::string>{"0", "2", "3"}));
}

// A version 2 store (every number a `points` row) reads the same before and after it is converted to
// version 3 on the first open for writing, and takes new curves after that.
TEST(ResultsStore, AVersion2StoreIsReadAndConverted) {
  const std::string path = test::temp_dir("store-v2") + "/results.sqlite";
  write_old_store(path, R"sql(
CREATE TABLE series (series_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (run_id),
  check_name TEXT NOT NULL, stage INTEGER NOT NULL, method TEXT NOT NULL, metric TEXT NOT NULL, layer TEXT NOT NULL,
  UNIQUE (run_id, check_name, stage, method, metric, layer));
CREATE TABLE points (series_id INTEGER NOT NULL REFERENCES series (series_id), image INTEGER NOT NULL,
  step INTEGER NOT NULL, value REAL, PRIMARY KEY (series_id, image, step)) WITHOUT ROWID;
CREATE VIEW measurements AS SELECT s.run_id, s.check_name, s.stage, s.method, s.metric, s.layer,
  p.image, p.step, p.value FROM series s JOIN points p ON p.series_id = s.series_id;
INSERT INTO units VALUES (1, 'pixel_flipping', -1, 'gradient', 3, '2026-01-01T00:00:00Z');
INSERT INTO series VALUES (1, 1, 'pixel_flipping', -1, 'gradient', 'morf_prob', '');
INSERT INTO points VALUES (1, 0, 0, 0.123456789012345), (1, 0, 1, NULL), (1, 0, 2, 0.25);
PRAGMA application_id = 1935765097;
PRAGMA user_version = 2;
)sql");
  auto check_old = [](const std::vector<ResultRow>& rows) {
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].value, 0.123456789012345);  // version 2's numbers stay as they were
    EXPECT_TRUE(std::isnan(rows[1].value));
    EXPECT_EQ(rows[2].step, 2);
  };
  check_old(ResultsStore(path, /*read_only=*/true).rows());
  ResultsStore store(path);  // converts
  check_old(store.rows({.method = "gradient"}));
  ASSERT_TRUE(
      store.record_unit({1, "pixel_flipping", -1, "sobel"}, {{"morf_prob", 0.5, 0, 0}, {"morf_prob", 0.75, 0, 1}}));
  const std::vector<ResultRow> sobel = store.rows({.method = "sobel"});
  ASSERT_EQ(sobel.size(), 2u);
  EXPECT_EQ(sobel[1].value, 0.75);
  EXPECT_EQ(store.summaries({.metric = "morf_prob"}).size(), 5u);  // (gradient, sobel) x steps, sobel's 2
}
