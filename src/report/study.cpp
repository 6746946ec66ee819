#include "report/study.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "report/checks.h"

namespace fs = std::filesystem;

namespace sanity::report {

namespace {

nlohmann::json read_study_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("study directory: '" + path + "' is missing (the configuration and versions `sanity run` writes)");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError("'" + path + "': not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw InputError("'" + path + "': expected a JSON object, got " + std::string(j.type_name()));
  return j;
}

}  // namespace

std::string StageAxis::label(int64_t stage) const {
  for (size_t i = 0; i < stages.size(); i++)
    if (stages[i] == stage) return labels[i];
  return "stage " + std::to_string(stage);
}

static ResultsStore open_store(const std::string& dir) {
  if (!fs::is_directory(dir)) throw InputError("study directory '" + dir + "' does not exist");
  const std::string db = (fs::path(dir) / "results.sqlite").string();
  if (!fs::is_regular_file(db))
    throw InputError("study directory '" + dir + "': results.sqlite is missing (run `sanity run` first)");
  return ResultsStore(db, /*read_only=*/true);
}

Study::Study(const std::string& dir)
    : dir_(dir), store_(open_store(dir)), config_(read_study_json((fs::path(dir) / "study.json").string())) {
  runs_ = store_.runs();
  if (runs_.empty()) throw InputError("'" + store_.path() + "': no runs (table runs is empty)");

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
