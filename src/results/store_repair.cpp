// A damaged results store: the integrity check run before a study resumes, and `--repair`, which
// keeps what can still be read and leaves the rest to be computed again (results are deterministic,
// so recomputed units equal the lost ones).
#include <algorithm>
#include <ctime>
#include <filesystem>

#include "core/error.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "results/store_rows.h"

namespace fs = std::filesystem;

namespace sanity {
namespace {

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  return buf;
}

const char* kWayOut = "; run the same command again with --repair to keep what can be read and recompute the rest";

// Copies one unit's rows and its marker in one transaction; false (nothing written) if any row
// cannot be read or the count disagrees with the marker.
bool copy_unit(const sql::Database& from, const sql::Database& to, const WorkUnit& u, int64_t row_count,
               const std::string& completed) {
  try {
    sql::Transaction t(to);
    sql::Statement rows(from, "SELECT metric, layer, image, step, value FROM measurements "
                              "WHERE run_id = ? AND check_name = ? AND stage = ? AND method = ?");
    rows.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method);
    std::vector<Measurement> kept;
    while (rows.step()) kept.push_back({rows.text(0), rows.real(4), rows.int64(2), rows.int64(3), rows.text(1)});
    const int64_t n = static_cast<int64_t>(kept.size());
    if (n != row_count) return false;
    insert_measurements(to, u, kept);
    sql::Statement mark(to, "INSERT INTO units (run_id, check_name, stage, method, row_count, completed) "
                            "VALUES (?, ?, ?, ?, ?, ?)");
    mark.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).bind(5, row_count).bind(6, completed).run();
    t.commit();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Runs and stage labels, row by row; returns the runs copied.
int64_t copy_runs_and_stages(const sql::Database& from, const sql::Database& to) {
  int64_t runs = 0;
  try {
    sql::Statement r(from, "SELECT run_id, model, data, options, seed, sanity_version, torch_version, created FROM runs");
    sql::Statement insert(to, "INSERT INTO runs (run_id, model, data, options, seed, sanity_version, torch_version, "
                              "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    while (r.step()) {
      insert.bind(1, r.int64(0)).bind(2, r.text(1)).bind(3, r.text(2)).bind(4, r.text(3)).bind(5, r.int64(4));
      insert.bind(6, r.text(5)).bind(7, r.text(6)).bind(8, r.text(7)).run();
      ++runs;
    }
  } catch (const std::exception&) {
  }
  try {
    sql::Statement st(from, "SELECT run_id, check_name, stage, label FROM stages");
    sql::Statement insert(to, "INSERT OR REPLACE INTO stages (run_id, check_name, stage, label) VALUES (?, ?, ?, ?)");
    while (st.step()) insert.bind(1, st.int64(0)).bind(2, st.text(1)).bind(3, st.int64(2)).bind(4, st.text(3)).run();
  } catch (const std::exception&) {
  }
  return runs;
}

}  // namespace

void ResultsStore::check_integrity(const char* way_out) const {
  std::string problem;
  try {
    sql::Statement s(*db_, "PRAGMA quick_check");
    while (s.step())
      if (s.text(0) != "ok") problem += (problem.empty() ? "" : "; ") + s.text(0);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  if (problem.empty()) return;
  // SQLite's report spans lines ("*** in database main ***\nPage 7: ..."): one line here.
  std::replace(problem.begin(), problem.end(), '\n', ' ');
  if (problem.size() > 200) problem = problem.substr(0, 200) + "...";
  throw InputError("results database '" + path() + "' is damaged (" + problem + ")" + (way_out ? way_out : kWayOut));
}

void ResultsStore::forget_unit(const WorkUnit& u) {
  sql::Transaction t(*db_);
  delete_measurements(*db_, u);
  sql::Statement s(*db_, "DELETE FROM units WHERE run_id = ? AND check_name = ? AND stage = ? AND method = ?");
  s.bind(1, u.run).bind(2, u.check).bind(3, u.stage).bind(4, u.method).run();
  t.commit();
}

SalvageReport ResultsStore::salvage(const std::string& path) {
  SalvageReport report;
  report.damaged_copy = path + ".damaged-" + utc_stamp();
  fs::rename(path, report.damaged_copy);
  for (const char* suffix : {"-wal", "-shm"})
    if (fs::exists(path + suffix)) fs::rename(path + suffix, report.damaged_copy + suffix);
  const ResultsStore fresh(path);
  std::unique_ptr<sql::Database> from;
  try {
    from = std::make_unique<sql::Database>(report.damaged_copy, /*read_only=*/false);
  } catch (const std::exception&) {
    return report;  // nothing readable: the rerun computes everything
  }
  report.runs = copy_runs_and_stages(*from, *fresh.db_);
  std::vector<std::tuple<WorkUnit, int64_t, std::string>> units;
  try {
    sql::Statement s(*from, "SELECT run_id, check_name, stage, method, row_count, completed FROM units");
    while (s.step()) units.emplace_back(WorkUnit{s.int64(0), s.text(1), s.int64(2), s.text(3)}, s.int64(4), s.text(5));
  } catch (const std::exception&) {
    // Markers past the damage are lost: their units are computed again.
  }
  for (const auto& [u, count, completed] : units)
    ++(copy_unit(*from, *fresh.db_, u, count, completed) ? report.units_kept : report.units_lost);
  return report;
}

}  // namespace sanity
