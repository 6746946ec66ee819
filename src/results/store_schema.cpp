#include "results/store_schema.h"

#include <string>

#include "core/error.h"

namespace sanity {
namespace {

// "sani": marks the file as ours, so another program's SQLite file is refused, not written into.
constexpr int64_t kApplicationId = 0x73616e69;
constexpr int64_t kSchemaVersion = 3;

// Schema version 2 keeps each series' keys (run, check, stage, method, metric, layer) once, in
// `series`, and its numbers in `points`: 1.4 M rows of the default study take 30 MB instead of the
// 222 MB of version 1, which repeated the keys' text in every row and again in an index. The view
// `measurements` has version 1's columns, so SQL written against version 1 reads either version.
const char* kSeriesTables = R"sql(
CREATE TABLE series (
  series_id  INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs (run_id),
  check_name TEXT NOT NULL,
  stage      INTEGER NOT NULL,
  method     TEXT NOT NULL,
  metric     TEXT NOT NULL,
  layer      TEXT NOT NULL,
  UNIQUE (run_id, check_name, stage, method, metric, layer)
);
CREATE TABLE points (
  series_id  INTEGER NOT NULL REFERENCES series (series_id),
  image      INTEGER NOT NULL,
  step       INTEGER NOT NULL,
  value      REAL,
  PRIMARY KEY (series_id, image, step)
) WITHOUT ROWID;
)sql";
// Version 3 keeps a (series, image)'s values at steps 0, 1, ..., k-1 as one `curves` row, a JSON array
// at float32 precision (the models compute in float32): the default study's 1.0 M curve points (pixel
// flipping, insertion/deletion) take 12.8 MB instead of 24 MB as `points` rows. JSON rather than a binary
// blob so that plain SQL still reads every number: `measurements` unpacks the arrays with json_each.
const char* kCurvesTable = R"sql(
CREATE TABLE curves (
  series_id  INTEGER NOT NULL REFERENCES series (series_id),
  image      INTEGER NOT NULL,
  curve      TEXT NOT NULL,
  PRIMARY KEY (series_id, image)
) WITHOUT ROWID;
)sql";
const char* kMeasurementsView =
    "CREATE VIEW measurements AS SELECT s.run_id, s.check_name, s.stage, s.method, s.metric, s.layer, "
    "p.image, p.step, p.value FROM series s JOIN points p ON p.series_id = s.series_id "
    "UNION ALL SELECT s.run_id, s.check_name, s.stage, s.method, s.metric, s.layer, "
    "c.image, j.key, CAST(j.value AS REAL) FROM series s JOIN curves c ON c.series_id = s.series_id "
    "JOIN json_each(c.curve) j;";

const char* kSchema = R"sql(
CREATE TABLE runs (
  run_id         INTEGER PRIMARY KEY,
  model          TEXT NOT NULL,
  data           TEXT NOT NULL,
  options        TEXT NOT NULL,
  seed           INTEGER NOT NULL,
  sanity_version TEXT NOT NULL,
  torch_version  TEXT NOT NULL,
  created        TEXT NOT NULL,
  UNIQUE (model, data, options, seed)
);
CREATE TABLE units (
  run_id     INTEGER NOT NULL REFERENCES runs (run_id),
  check_name TEXT NOT NULL,
  stage      INTEGER NOT NULL,
  method     TEXT NOT NULL,
  row_count  INTEGER NOT NULL,
  completed  TEXT NOT NULL,
  PRIMARY KEY (run_id, check_name, stage, method)
) WITHOUT ROWID;
CREATE TABLE stages (
  run_id     INTEGER NOT NULL REFERENCES runs (run_id),
  check_name TEXT NOT NULL,
  stage      INTEGER NOT NULL,
  label      TEXT NOT NULL,
  PRIMARY KEY (run_id, check_name, stage)
) WITHOUT ROWID;
)sql";

// Version 2 -> 3: the `curves` table and the view that reads it; version 2's rows stay in `points`,
// where they read the same.
void migrate_from_version_2(const sql::Database& db) {
  sql::Transaction t(db);
  if (db.query_int("PRAGMA user_version").value_or(0) != 2) return;  // another process was first
  db.exec(kCurvesTable);
  db.exec("DROP VIEW measurements");
  db.exec(kMeasurementsView);
  db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  t.commit();
}

// Version 1 -> 3 (its rows into `points`) in one transaction (re-checked under the write lock, as two
// processes may open the file at once); then VACUUM returns the freed pages, when no other process
// holds the file. Read-only opens leave a version 1 file as it is: every read goes through `measurements`.
void migrate_from_version_1(const sql::Database& db) {
  {
    sql::Transaction t(db);
    if (db.query_int("PRAGMA user_version").value_or(0) != 1) return;
    db.exec(R"sql(
DROP INDEX IF EXISTS measurements_by_metric;
ALTER TABLE measurements RENAME TO measurements_v1;
)sql");
    db.exec(kSeriesTables);
    db.exec(kCurvesTable);
    db.exec(R"sql(
INSERT INTO series (run_id, check_name, stage, method, metric, layer)
  SELECT DISTINCT run_id, check_name, stage, method, metric, layer FROM measurements_v1
  ORDER BY run_id, check_name, stage, method, metric, layer;
INSERT INTO points (series_id, image, step, value)
  SELECT s.series_id, m.image, m.step, m.value FROM measurements_v1 m
  JOIN series s USING (run_id, check_name, stage, method, metric, layer);
DROP TABLE measurements_v1;
)sql");
    db.exec(kMeasurementsView);
    db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    t.commit();
  }
  try {
    db.exec("VACUUM");
  } catch (const std::exception&) {
    // Another process has the file open: the freed pages are reused by later writes instead.
  }
}

}  // namespace

void open_schema(const sql::Database& db, bool read_only) {
  const int64_t app = db.query_int("PRAGMA application_id").value_or(0);  // NOTADB surfaces here
  if (app == 0 && !read_only) {
    sql::Transaction t(db);  // re-checked under the write lock: two processes may create the file at once
    if (db.query_int("PRAGMA application_id").value_or(0) == 0) {
      if (db.query_int("SELECT count(*) FROM sqlite_master").value_or(0) > 0)
        throw InputError("results database '" + db.path() +
                         "': an SQLite database of another program (expected a results.sqlite written by sanity)");
      db.exec(kSchema);
      db.exec(kSeriesTables);
      db.exec(kCurvesTable);
      db.exec(kMeasurementsView);
      db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
      db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    }
    t.commit();
  } else if (app != kApplicationId) {
    throw InputError("results database '" + db.path() +
                     "': not a sanity results store (expected a results.sqlite written by sanity)");
  }
  const int64_t version = db.query_int("PRAGMA user_version").value_or(0);
  if (version == 1 && !read_only) migrate_from_version_1(db);
  if (version == 2 && !read_only) migrate_from_version_2(db);
  if (version > kSchemaVersion)
    throw InputError("results database '" + db.path() + "': schema version " + std::to_string(version) +
                     " is newer than this sanity reads (" + std::to_string(kSchemaVersion) + "); update sanity");
}

}  // namespace sanity
