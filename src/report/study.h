#pragma once
// A study directory as `sanity check` writes it and `sanity report` reads it (docs/STUDY_DIRECTORY.md):
//   DIR/results.sqlite             the results store (docs/RESULTS_SCHEMA.md)
//   DIR/study.json                 configuration and versions (a JSON object); optional: without it
//                                  the configuration is gathered per run (config_source() says how)
//   DIR/maps/<run_id>/index.json   saved explanations for the saliency grid (optional per run)
// Opening checks what every figure relies on, so a broken study fails here with one line naming
// the file and field instead of producing a report with silently missing figures.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/store.h"

namespace sanity::report {

// The stages of one check of one run, in stage order, with their labels from the `stages` table.
struct StageAxis {
  std::vector<int64_t> stages;
  std::vector<std::string> labels;  // unique (a repeated label gets " (k)" appended)
  std::string label(int64_t stage) const;
};

class Study {
 public:
  // `path`: the study directory, or a results store file (its folder is then the study directory,
  // where study.json and maps/ are looked for). Throws InputError when the directory or results.sqlite
  // is missing, results.sqlite, study.json or a run's maps/<run>/config.json is invalid, when the
  // store has no runs, or a stage that holds measurements has no label.
  explicit Study(const std::string& path);

  const std::string& dir() const { return dir_; }
  const ResultsStore& store() const { return store_; }
  // study.json; without it (`sanity check` does not write one yet) {"run <id>": what ran}, from
  // maps/<id>/config.json (the runner's full configuration) or else the runs table.
  const nlohmann::json& config() const { return config_; }
  // Where config() came from, for the report's heading: "study.json" or a sentence.
  const std::string& config_source() const { return config_source_; }
  const std::vector<RunInfo>& runs() const { return runs_; }

  // Stage axis of (run, check); empty when the check has no stage >= 0 in that run.
  const StageAxis& stages(int64_t run, const std::string& check) const;
  // check name -> number of measurements, for the checks the run has.
  const std::map<std::string, int64_t>& check_rows(int64_t run) const;
  // Every method with a measurement in the run (non-empty method column), sorted.
  std::vector<std::string> methods(int64_t run) const;
  // DIR/maps/<run> (it may not exist: maps are optional).
  std::string maps_dir(int64_t run) const;

 private:
  std::string dir_;
  ResultsStore store_;
  nlohmann::json config_;
  std::string config_source_;
  std::vector<RunInfo> runs_;
  std::map<std::pair<int64_t, std::string>, StageAxis> axes_;
  std::map<int64_t, std::map<std::string, int64_t>> check_rows_;
  std::map<int64_t, std::set<std::string>> methods_;
};

// A store filter on run and check, optionally metric and method ('' for per-stage quantities).
// (A function rather than designated initializers, which GCC's -Wextra flags for the fields left out.)
RowFilter run_filter(int64_t run, const std::string& check, std::optional<std::string> metric = std::nullopt,
                     std::optional<std::string> method = std::nullopt);

// "cnn · mnist:test:200" for captions and chart subtitles.
std::string run_label(const RunInfo& run);

}  // namespace sanity::report
