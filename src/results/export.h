#pragma once
// Exports a results store as flat files that pandas reads directly:
//   measurements.csv / runs.csv       (pandas.read_csv; an empty value is NaN)
//   measurements.json / runs.json     (pandas.read_json; lists of records, NaN as null, run options
//                                      as nested objects)
// Columns: measurements: run_id, check, stage, method, metric, layer, image, step, value (key
// order, -1 / empty where a key does not apply); runs: run_id, model, data, options, seed,
// sanity_version, torch_version, created; summaries (summaries.csv / .json): one row per (run,
// check, stage, method, metric, layer, step) with n (defined scores), nan_count, mean, std and the
// percentile-bootstrap interval of the mean over images, ci_low / ci_high, at `confidence` with
// `resamples` draws (stats/bootstrap.h; seeded per group, the same on every export). Each file is
// written to a temporary name and renamed, so a half-written export never looks complete.
#include <string>
#include <vector>

#include "results/store.h"

namespace sanity {

struct ExportFormats {
  bool csv = true;
  bool json = true;
  BootstrapOptions ci;  // the summaries' intervals
};
// RFC 4180: quote fields holding a separator, a quote or a line break; double inner quotes.
std::string csv_field(const std::string& s);
// The shortest text that reads back to the same double; NaN as an empty field (pandas: NaN).
std::string csv_number(double v);

// "csv", "json" or "csv,json"; throws InputError naming the option otherwise.
ExportFormats parse_export_formats(const std::string& text);

// Writes into dir (created if missing); returns the paths written.
std::vector<std::string> export_results(const ResultsStore& store, const std::string& dir, ExportFormats formats);

}  // namespace sanity
