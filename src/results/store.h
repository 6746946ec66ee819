#pragma once
// src/results: the SQLite results store every study writes as it goes, and its export.
//
// The results store: one SQLite database per study (results.sqlite), written as work proceeds so a
// killed run loses nothing it committed and a rerun skips what is done.
//
//   ResultsStore store("out/results.sqlite");
//   const int64_t run = store.open_run({"cnn", "mnist:test:200", options_json, seed});  // resumes
//   WorkUnit unit{run, "cascading", 2, "integrated_gradients(steps=50)"};
//   if (!store.is_done(unit)) store.record_unit(unit, rows);  // rows + completion marker, atomically
//
// Schema (version 3; docs/RESULTS_SCHEMA.md has the column-by-column reference):
//   runs(run_id, model, data, options, seed, sanity_version, torch_version, created)
//       One row per study configuration; UNIQUE(model, data, options, seed) is the identity that
//       open_run() resumes. options is canonical JSON (sorted keys).
//   units(run_id, check_name, stage, method, rows, completed)
//       The completion markers: a unit's row here commits in the same transaction as its rows.
//   series(series_id, run_id, check_name, stage, method, metric, layer),
//   points(series_id, image, step, value) and curves(series_id, image, curve): stored apart so that a
//       series' keys are kept once; a curve is an image's values at steps 0..k-1 as a JSON array, at
//       float32 precision (every other number is a point, at double precision);
//   measurements(run_id, check_name, stage, method, metric, layer, image, step, value), a view over
//       the three (version 1's table, which a version 1 file opened for writing is converted from):
//       one number each. Keys that do not apply hold -1 (stage, image, step) or '' (method, layer);
//       value NULL means NaN (an undefined score; SQLite has no NaN). Primary key: all key columns,
//       so the natural order is (run, check, stage, method, metric, layer, image, step).
//   stages(run_id, check_name, stage, label)   e.g. (1, 'cascading', 2, 'fc1') for figure axes.
// What goes where (the conventions later features follow):
//   similarity scores   check='cascading', stage=k, method=spec, metric=metric spec, image=id
//   model accuracy      check='cascading', stage=k, method='', metric='accuracy'
//   activation scales   check='cascading', stage=k, metric='activation_norm', layer=name, image=id
//                       (per channel: metric='activation_channel_mean', step=channel)
//   CSC per layer       check='csc', method=spec, metric='csc_median' / 'csc_q1' / 'csc_q3', layer=name
//   faithfulness curve  check='pixel_flipping', method=spec, metric='morf_logit', image=id, step=k
//   AOPC                check='pixel_flipping', method=spec, metric='aopc_morf', image=id
//
// The database is in WAL mode with synchronous=NORMAL: a committed unit survives a killed process
// (not necessarily a power cut), and readers (sanity export, figures) do not block the writer.
// One ResultsStore per thread; several processes may share a file (a busy timeout serializes them).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/aggregate.h"
#include "stats/bootstrap.h"

namespace sanity {

namespace sql {
class Database;
}

struct RunConfig {
  std::string model;         // as the user named it: "cnn", "models/vgg16.onnx"
  std::string data;          // dataset and test bed: "mnist:test:200"
  nlohmann::json options;    // everything else that changes results (methods, metrics, checks, ...)
  uint64_t seed = 0;         // stored as a signed 64-bit integer, bit for bit
};

struct RunInfo {
  int64_t id = 0;
  RunConfig config;
  std::string sanity_version, torch_version;
  std::string created;  // UTC, ISO 8601 ("2024-06-01T12:00:00Z")
};

// What is written and marked complete together: one check at one stage for one method (or, with
// method '', a per-stage quantity such as accuracy).
struct WorkUnit {
  int64_t run = 0;
  std::string check;
  int64_t stage = -1;
  std::string method;
};

// One number of a unit; the unit supplies run, check, stage and method.
struct Measurement {
  std::string metric;  // metric spec ("ssim(data_range=1)") or quantity ("accuracy", "aopc_morf")
  double value = 0;    // NaN allowed (stored as NULL)
  int64_t image = -1;  // image id within the test bed; -1: not per image
  int64_t step = -1;   // index along a series (perturbation step, channel); -1: none
  std::string layer;   // layer name for per-layer quantities; '' none
};

// A stored measurement with all its keys.
struct ResultRow {
  int64_t run = 0;
  std::string check;
  int64_t stage = -1;
  std::string method;
  std::string metric;
  std::string layer;
  int64_t image = -1;
  int64_t step = -1;
  double value = 0;
};

// Restricts reads; unset fields match everything.
struct RowFilter {
  std::optional<int64_t> run;
  std::optional<std::string> check, method, metric;
  std::optional<int64_t> stage;
};

// Mean/std over images of one (run, check, stage, method, metric, layer, step) group.
struct ResultSummary {
  int64_t run = 0;
  std::string check;
  int64_t stage = -1;
  std::string method, metric, layer;
  int64_t step = -1;
  Summary summary;  // NULL (NaN) values are skipped and counted
  Interval ci;      // bootstrap interval of the mean when asked for (summaries(filter, &options))
};

// What ResultsStore::salvage kept of a damaged store.
struct SalvageReport {
  int64_t runs = 0, units_kept = 0, units_lost = 0;
  std::string damaged_copy;  // where the damaged file now is
};

// What export and report say of a damaged store: they only read, so the repair is the writer's.
inline constexpr const char* kRepairWithTheWriter =
    "; export and report read undamaged stores only: run the check or run that wrote it again with --repair";

class ResultsStore {
 public:
  // Opens the database, creating it (and its schema) if missing unless read_only. Throws InputError
  // naming the file when it is not an SQLite database, is corrupt, is another program's database,
  // or was written by a newer schema.
  explicit ResultsStore(const std::string& path, bool read_only = false);
  ~ResultsStore();
  ResultsStore(ResultsStore&&) noexcept;
  ResultsStore& operator=(ResultsStore&&) noexcept;

  const std::string& path() const;

  // The run id of this configuration: the existing one when (model, data, options, seed) was seen
  // before (resume), else a new run stamped with the versions and the time.
  int64_t open_run(const RunConfig& config);
  std::vector<RunInfo> runs() const;

  bool is_done(const WorkUnit& unit) const;
  // Writes the rows and the unit's completion marker in one transaction. Returns false and writes
  // nothing when the unit was already complete (another process finished it first). Throws (and
  // writes nothing) if two rows share their keys.
  bool record_unit(const WorkUnit& unit, const std::vector<Measurement>& rows);
  std::vector<WorkUnit> done_units(int64_t run) const;

  // Axis labels: what stage k of a check means ("fc1" randomized). Idempotent.
  void label_stage(int64_t run, const std::string& check, int64_t stage, const std::string& label);
  std::optional<std::string> stage_label(int64_t run, const std::string& check, int64_t stage) const;
  // Every label of a run: (check, stage) -> label.
  std::map<std::pair<std::string, int64_t>, std::string> stage_labels(int64_t run) const;

  // SQLite's quick_check (reads every page, no index cross-checks): InputError naming the file and
  // the way out (--repair) when the file is damaged.
  // `way_out`: what the error says to do (default: rerun the command with --repair).
  void check_integrity(const char* way_out = nullptr) const;
  // Deletes a unit's rows and its completion marker, so that a rerun computes it again.
  void forget_unit(const WorkUnit& unit);
  // Rebuilds a damaged store: the file (with its -wal) moves to `path`.damaged-<UTC time>, and a new
  // store at `path` receives every run, stage label and unit whose rows still read back complete;
  // the rest is left for the rerun to compute (store_repair.cpp).
  static SalvageReport salvage(const std::string& path);

  // Raw rows in key order, streamed (for export) or collected.
  void each_row(const RowFilter& filter, const std::function<void(const ResultRow&)>& f) const;
  std::vector<ResultRow> rows(const RowFilter& filter = {}) const;
  // Per (run, check, stage, method, metric, layer, step): mean and std over images, in key order.
  // With `ci`: each group's percentile-bootstrap interval of the mean over images (stats/bootstrap.h),
  // seeded by ci->seed and the group's key, so an interval does not depend on what else is read.
  std::vector<ResultSummary> summaries(const RowFilter& filter = {}, const BootstrapOptions* ci = nullptr) const;

 private:
  std::unique_ptr<sql::Database> db_;
};

}  // namespace sanity
