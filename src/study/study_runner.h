#pragma once
// `sanity run`: one study from a StudyConfig into OUT (docs/STUDY_DIRECTORY.md):
//   OUT/study.json              the configuration with every default, versions, machine
//   OUT/models/<name>/          built-in models trained here (model.onnx, metrics.json), reused
//   OUT/results.sqlite, maps/   every check of every model (study/check_runner.h), resumable
//   OUT/report/                 figures and report.html (report/report.h)
// In a distributed World (distributed/world.h) every rank runs it: rank 0 trains, writes the files and
// the report while the others wait, and every rank computes the checks' units.
#include <string>
#include <vector>

#include "study/study_config.h"

namespace sanity {

struct StudyRunOptions {
  std::string data_dir;     // cache of the built-in datasets
  std::string device;       // "": the configuration's device (StudyConfig::device)
  std::string precision;    // "": the configuration's precision (StudyConfig::precision)
  bool progress = true;
  bool repair = false;      // rebuild a damaged results store (CheckConfig::repair)
  // "K/N": this shard's units into OUT/shards/K-of-N/ (CheckConfig::shard); models are still trained
  // once into OUT/models/ (the first shard trains, concurrent ones wait); no report until merged.
  std::string shard;
};

// Everything a study needs that can be checked before any work (model, data and label files exist,
// every method, metric and check spec builds): InputError naming the field, before anything is
// written.
void validate_study(const StudyConfig& config);

struct StudySummary {
  double seconds = 0;
  int64_t units_done = 0, units_skipped = 0, models_trained = 0, models_reused = 0;
  std::string report;  // path of report.html ('' when not written)
  std::vector<int64_t> units_by_rank;  // distributed (on rank 0): units computed by each rank
};

StudySummary run_study(const StudyConfig& config, const StudyRunOptions& options);

}  // namespace sanity
