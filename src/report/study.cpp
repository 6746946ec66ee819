#include "report/study.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/json.h"
#include "report/checks.h"

namespace fs = std::filesystem;

namespace sanity::report {

namespace {

// A JSON object from a file that exists; InputError naming the file otherwise.
nlohmann::json read_json_object(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("'" + path + "': cannot be read");
  nlohmann::json j = parse_json_strict(in, "'" + path + "'");
  if (!j.is_object()) throw InputError("'" + path + "': expected a JSON object, got " + std::string(j.type_name()));
  return j;
}

// What ran, per run, when there is no study.json: the runner's maps/<run>/config.json (every option
// of `sanity check`) if it wrote one, else the runs table (model, data, identity options, seed).
// The versions and the creation time come from the runs table either way.
nlohmann::json config_from_runs(const std::string& dir, const std::vector<RunInfo>& runs) {
  nlohmann::json all = nlohmann::json::object();
  for (const RunInfo& r : runs) {
    const fs::path file = fs::path(dir) / "maps" / std::to_string(r.id) / "config.json";
    nlohmann::json entry;
    if (fs::exists(file)) {
      entry["source"] = "maps/" + std::to_string(r.id) + "/config.json";
      entry["config"] = read_json_object(file.string());
    } else {
      entry["source"] = "results.sqlite, table runs";
      entry["config"] = {{"model", r.config.model}, {"data", r.config.data}, {"options", r.config.options},
                         {"seed", r.config.seed}};
    }
    entry["sanity_version"] = r.sanity_version;
    entry["torch_version"] = r.torch_version;
    entry["created"] = r.created;
    all["run " + std::to_string(r.id)] = entry;
  }
  return all;
}

}  // namespace

std::string StageAxis::label(int64_t stage) const {
  for (size_t i = 0; i < stages.size(); i++)
    if (stages[i] == stage) return labels[i];
  return "stage " + std::to_string(stage);
}

// `path` is the study directory, or its results store itself (`sanity export --db`).
static std::string study_directory(const std::string& path) {
  if (fs::is_regular_file(path)) {
    const std::string parent = fs::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
  }
  return path;
}

static ResultsStore checked(ResultsStore store) {
  store.check_integrity(kRepairWithTheWriter);
  return store;
}

static ResultsStore open_store(const std::string& path) {
  if (fs::is_regular_file(path)) return checked(ResultsStore(path, /*read_only=*/true));
  const std::string& dir = path;
  if (!fs::is_directory(dir)) throw InputError("study directory '" + dir + "' does not exist");
  const std::string db = (fs::path(dir) / "results.sqlite").string();
  if (!fs::is_regular_file(db))
    throw InputError("study directory '" + dir + "': results.sqlite is missing (run `sanity check` first)");
  return checked(ResultsStore(db, /*read_only=*/true));
}

Study::Study(const std::string& path) : dir_(study_directory(path)), store_(open_store(path)) {
  const std::string& dir = dir_;
  const fs::path study_json = fs::path(dir) / "study.json";
  if (fs::exists(study_json)) {
    config_ = read_json_object(study_json.string());
    config_source_ = "study.json";
  }
  runs_ = store_.runs();
  if (runs_.empty()) throw InputError("'" + store_.path() + "': no runs (table runs is empty)");
  if (config_source_.empty()) {
    config_ = config_from_runs(dir, runs_);
    config_source_ = "no study.json: each run's maps/<run>/config.json, or the runs table where there is none";
  }

  // Every stage of a randomization check that holds a measurement must have a label: it is the
  // figures' x axis, and a missing one means the runner and the report disagree.
  std::set<std::tuple<int64_t, std::string, int64_t>> seen;
  store_.each_row({}, [&](const ResultRow& r) {
    check_rows_[r.run][r.check]++;
    if (!r.method.empty()) methods_[r.run].insert(r.method);
    if (r.stage >= 0 && is_staged_check(r.check)) seen.insert({r.run, r.check, r.stage});
  });
  for (const auto& [run, check, stage] : seen) {
    const std::optional<std::string> label = store_.stage_label(run, check, stage);
    if (!label)
      throw InputError("'" + store_.path() + "': run " + std::to_string(run) + " check '" + check + "' stage " +
                       std::to_string(stage) + " has measurements but no label in table stages");
    StageAxis& axis = axes_[{run, check}];
    std::string text = *label;
    for (const std::string& l : axis.labels)
      if (l == text) text += " (" + std::to_string(stage) + ")";
    axis.stages.push_back(stage);  // the set iterates in stage order
    axis.labels.push_back(text);
  }
}

const StageAxis& Study::stages(int64_t run, const std::string& check) const {
  static const StageAxis empty;
  auto it = axes_.find({run, check});
  return it == axes_.end() ? empty : it->second;
}

const std::map<std::string, int64_t>& Study::check_rows(int64_t run) const {
  static const std::map<std::string, int64_t> none;
  auto it = check_rows_.find(run);
  return it == check_rows_.end() ? none : it->second;
}

std::vector<std::string> Study::methods(int64_t run) const {
  auto it = methods_.find(run);
  return it == methods_.end() ? std::vector<std::string>{} : std::vector<std::string>(it->second.begin(), it->second.end());
}

std::string Study::maps_dir(int64_t run) const { return (fs::path(dir_) / "maps" / std::to_string(run)).string(); }

RowFilter run_filter(int64_t run, const std::string& check, std::optional<std::string> metric,
                     std::optional<std::string> method) {
  RowFilter f;
  f.run = run;
  f.check = check;
  f.metric = std::move(metric);
  f.method = std::move(method);
  return f;
}

std::string run_label(const RunInfo& run) { return run.config.model + " \u00b7 " + run.config.data; }

}  // namespace sanity::report
