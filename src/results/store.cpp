#include "results/store.h"

#include <torch/version.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <tuple>
#include <variant>

#include "core/error.h"
#include "core/json.h"
#include "core/rng.h"
#include "results/sqlite.h"
#include "results/store_schema.h"
#include "results/store_rows.h"

namespace sanity {
namespace {

const char* kRowColumns = "run_id, check_name, stage, method, metric, layer, image, step, value";
const char* kKeyOrder = "run_id, check_name, stage, method, metric, layer, image, step";

// WHERE clause and its parameters for a filter.
struct Where {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;

  explicit Where(const RowFilter& f) {
    auto add = [&](const char* col, const auto& v) {
      if (!v) return;
      sql += std::string(sql.empty() ? " WHERE " : " AND ") + col + " = ?";
      params.emplace_back(*v);
    };
    add("run_id", f.run);
    add("check_name", f.check);
    add("stage", f.stage);
    add("method", f.method);
    add("metric", f.metric);
  }
  void bind(sql::Statement& s) const {
    for (size_t i = 0; i < params.size(); ++i)
      std::visit([&](const auto& v) { s.bind(static_cast<int>(i + 1), v); }, params[i]);
  }
};

// A curve as JSON: the float32 nearest each value, written as the shortest decimal that reads back as
// that float32; NaN as null, values beyond float32's range (infinities included) in full.
std::string curve_json(const std::vector<const Measurement*>& curve) {
  std::string s = "[";
  char buf[32];
  for (const Measurement* m : curve) {
    if (s.size() > 1) s += ',';
    const double v = m->value;
    if (std::isnan(v)) {
      s += "null";
    } else if (std::isinf(v)) {
      s += v > 0 ? "9e999" : "-9e999";  // JSON has no infinity; SQLite reads 9e999 as one
    } else {
      const auto r = std::fabs(v) <= std::numeric_limits<float>::max()
                         ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                         : std::to_chars(buf, buf + sizeof buf, v);
      s.append(buf, r.ptr);
    }
  }
  return s + "]";
}

// A unit's rows as they are stored: steps 0..k-1 of one (metric, layer, image), each once, make a
// curve (curves in that key order); anything else (gaps, a repeated step: the primary key refuses it)
// stays a point.
struct CurvesAndPoints {
  std::vector<std::vector<const Measurement*>> curves;
  std::vector<const Measurement*> points;
};

CurvesAndPoints curves_and_points(const std::vector<Measurement>& rows) {
  CurvesAndPoints out;
  std::map<std::tuple<std::string, std::string, int64_t>, std::vector<const Measurement*>> series;
  for (const Measurement& m : rows) {
    if (m.step >= 0)
      series[{m.metric, m.layer, m.image}].push_back(&m);
    else
      out.points.push_back(&m);
  }
  for (auto& [key, curve] : series) {
    std::stable_sort(curve.begin(), curve.end(),
                     [](const Measurement* a, const Measurement* b) { return a->step < b->step; });
    bool complete = true;
    for (size_t k = 0; k < curve.size(); ++k) complete = complete && curve[k]->step == static_cast<int64_t>(k);
    if (complete)
      out.curves.push_back(std::move(curve));
    else
      out.points.insert(out.points.end(), curve.begin(), curve.end());
  }
  return out;
}

}  // namespace

void insert_measurements(const sql::Database& db, const WorkUnit& u, const std::vector<Measurement>& rows) {
  sql::Statement add_series(db,
                            "INSERT OR IGNORE INTO series (run_id, check_name, stage, method, metric, layer) "
                            "VALUES (?, ?, ?, ?, ?, ?)");
  sql::Statement find_series(db,
                             "SELECT series_id FROM series WHERE run_id = ? AND check_name = ? AND stage = ? "
                             "AND method = ? AND metric = ? AND layer = ?");
  sql::Statement add_point(db, "INSERT INTO points (series_id, image, step, value) VALUES (?, ?, ?, ?)");
  sql::Statement add_curve(db, "INSERT INTO curves (series_id, image, curve) VALUES (?, ?, ?)");
  std::map<std::pair<std::string, std::string>, int64_t> ids;  // a unit's rows share run, check, stage, method
  auto series_id = [&](const Measurement& m) {
    auto it = ids.find({m.metric, m.layer});
    if (it == ids.end()) {
      add_series.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).bind(5, m.metric).bind(6, m.layer);
      add_series.run();
      find_series.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).bind(5, m.metric).bind(6, m.layer);
      find_series.step();
      it = ids.emplace(std::make_pair(m.metric, m.layer), find_series.int64(0)).first;
      find_series.reset();
    }
    return it->second;
  };
  const CurvesAndPoints stored = curves_and_points(rows);
  for (const auto& curve : stored.curves)
    add_curve.bind(1, series_id(*curve.front())).bind(2, curve.front()->image).bind(3, curve_json(curve)).run();
  for (const Measurement* m : stored.points)
    add_point.bind(1, series_id(*m)).bind(2, m->image).bind(3, m->step).bind(4, m->value).run();
}

void delete_measurements(const sql::Database& db, const WorkUnit& u) {
  const char* where = " WHERE run_id = ? AND check_name = ? AND stage = ? AND method = ?";
  sql::Statement points(db, std::string("DELETE FROM points WHERE series_id IN (SELECT series_id FROM series") +
                                where + ")");
  points.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).run();
  sql::Statement curves(db, std::string("DELETE FROM curves WHERE series_id IN (SELECT series_id FROM series") +
                                where + ")");
  curves.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).run();
  sql::Statement series(db, std::string("DELETE FROM series") + where);
  series.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).run();
}

namespace {

ResultRow read_row(const sql::Statement& s) {
  return {s.int64(0), s.text(1), s.int64(2), s.text(3), s.text(4), s.text(5), s.int64(6), s.int64(7), s.real(8)};
}

std::string canonical_options(const nlohmann::json& options) {
  return options.is_null() ? "{}" : options.dump();  // object keys come out sorted
}

}  // namespace

ResultsStore::ResultsStore(const std::string& path, bool read_only)
    : db_(std::make_unique<sql::Database>(path, read_only)) {
  if (!read_only) {
    // WAL: readers never block the writer; NORMAL sync is durable against a killed process.
    db_->query_int("PRAGMA journal_mode = WAL");
    db_->exec("PRAGMA synchronous = NORMAL");
  }
  db_->exec("PRAGMA foreign_keys = ON");
  open_schema(*db_, read_only);
}

ResultsStore::~ResultsStore() = default;
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;

const std::string& ResultsStore::path() const { return db_->path(); }

int64_t ResultsStore::open_run(const RunConfig& c) {
  const std::string options = canonical_options(c.options);
  const int64_t seed = static_cast<int64_t>(c.seed);
  sql::Transaction t(*db_);
  sql::Statement find(*db_, "SELECT run_id FROM runs WHERE model = ? AND data = ? AND options = ? AND seed = ?");
  find.bind(1, c.model).bind(2, c.data).bind(3, options).bind(4, seed);
  if (find.step()) return find.int64(0);  // the transaction rolls back: nothing was written
  sql::Statement insert(*db_,
                        "INSERT INTO runs (model, data, options, seed, sanity_version, torch_version, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
  insert.bind(1, c.model).bind(2, c.data).bind(3, options).bind(4, seed);
  insert.bind(5, std::string(SANITY_VERSION)).bind(6, std::string(TORCH_VERSION)).run();
  const int64_t id = db_->last_insert_id();
  t.commit();
  return id;
}

std::vector<RunInfo> ResultsStore::runs() const {
  std::vector<RunInfo> out;
  sql::Statement s(*db_,
                   "SELECT run_id, model, data, options, seed, sanity_version, torch_version, created "
                   "FROM runs ORDER BY run_id");
  while (s.step()) {
    RunInfo r;
    r.id = s.int64(0);
    r.config = {s.text(1), s.text(2), parse_json_text(s.text(3), path() + ": run " + std::to_string(r.id) + "'s options"),
                static_cast<uint64_t>(s.int64(4))};
    r.sanity_version = s.text(5);
    r.torch_version = s.text(6);
    r.created = s.text(7);
    out.push_back(std::move(r));
  }
  return out;
}

bool ResultsStore::is_done(const WorkUnit& u) const {
  sql::Statement s(*db_, "SELECT 1 FROM units WHERE run_id = ? AND check_name = ? AND stage = ? AND method = ?");
  s.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method);
  return s.step();
}

bool ResultsStore::record_unit(const WorkUnit& u, const std::vector<Measurement>& rows) {
  sql::Transaction t(*db_);  // the write lock first: is_done and the insert see the same state
  if (is_done(u)) return false;
  insert_measurements(*db_, u, rows);
  sql::Statement mark(*db_,
                      "INSERT INTO units (run_id, check_name, stage, method, row_count, completed) "
                      "VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
  mark.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method);
  mark.bind(5, static_cast<int64_t>(rows.size())).run();
  t.commit();
  return true;
}

std::vector<WorkUnit> ResultsStore::done_units(int64_t run) const {
  std::vector<WorkUnit> out;
  sql::Statement s(*db_, "SELECT check_name, stage, method FROM units WHERE run_id = ? ORDER BY check_name, stage, method");
  s.bind(1, run);
  while (s.step()) out.push_back({run, s.text(0), s.int64(1), s.text(2)});
  return out;
}

void ResultsStore::label_stage(int64_t run, const std::string& check, int64_t stage, const std::string& label) {
  sql::Statement s(*db_, "INSERT OR REPLACE INTO stages (run_id, check_name, stage, label) VALUES (?, ?, ?, ?)");
  s.bind(1, run).bind(2, check).bind(3, stage).bind(4, label).run();
}

std::optional<std::string> ResultsStore::stage_label(int64_t run, const std::string& check, int64_t stage) const {
  sql::Statement s(*db_, "SELECT label FROM stages WHERE run_id = ? AND check_name = ? AND stage = ?");
  s.bind(1, run).bind(2, check).bind(3, stage);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::map<std::pair<std::string, int64_t>, std::string> ResultsStore::stage_labels(int64_t run) const {
  std::map<std::pair<std::string, int64_t>, std::string> out;
  sql::Statement s(*db_, "SELECT check_name, stage, label FROM stages WHERE run_id = ?");
  s.bind(1, run);
  while (s.step()) out[{s.text(0), s.int64(1)}] = s.text(2);
  return out;
}

void ResultsStore::each_row(const RowFilter& filter, const std::function<void(const ResultRow&)>& f) const {
  const Where where(filter);
  sql::Statement s(*db_, std::string("SELECT ") + kRowColumns + " FROM measurements" + where.sql + " ORDER BY " +
                             kKeyOrder);
  where.bind(s);
  while (s.step()) f(read_row(s));
}

std::vector<ResultRow> ResultsStore::rows(const RowFilter& filter) const {
  std::vector<ResultRow> out;
  each_row(filter, [&](const ResultRow& r) { out.push_back(r); });
  return out;
}

std::vector<ResultSummary> ResultsStore::summaries(const RowFilter& filter, const BootstrapOptions* ci) const {
  const Where where(filter);
  // Grouped in C++ rather than with SQL avg(): NULL (NaN) values must be counted, and the std uses
  // the same definition as every other summary (metrics/aggregate.h).
  sql::Statement s(*db_, std::string("SELECT ") + kRowColumns + " FROM measurements" + where.sql +
                             " ORDER BY run_id, check_name, stage, method, metric, layer, step, image");
  where.bind(s);
  std::vector<ResultSummary> out;
  std::vector<double> values;
  auto flush = [&] {
    if (out.empty()) return;
    ResultSummary& g = out.back();
    g.summary = summarize(values);
    if (ci) {
      BootstrapOptions o = *ci;
      o.seed = derive_seed(ci->seed, "bootstrap:" + std::to_string(g.run) + "/" + g.check + "/" + std::to_string(g.stage) +
                                         "/" + g.method + "/" + g.metric + "/" + g.layer + "/" + std::to_string(g.step));
      g.ci = bootstrap_mean(values, o);
    } else {
      g.ci.estimate = g.ci.low = g.ci.high = std::numeric_limits<double>::quiet_NaN();
    }
    values.clear();
  };
  while (s.step()) {
    const ResultRow r = read_row(s);
    const bool same = !out.empty() && out.back().run == r.run && out.back().check == r.check &&
                      out.back().stage == r.stage && out.back().method == r.method &&
                      out.back().metric == r.metric && out.back().layer == r.layer && out.back().step == r.step;
    if (!same) {
      flush();
      out.push_back({r.run, r.check, r.stage, r.method, r.metric, r.layer, r.step, {}});
    }
    values.push_back(r.value);
  }
  flush();
  return out;
}

}  // namespace sanity
