#include "study/merge.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/json.h"
#include "results/checked_npy.h"
#include "results/store.h"
#include "study/checks/context.h"

namespace fs = std::filesystem;

namespace sanity {
namespace {

// One store to merge from, locked while the merge reads it (a shard still computing is refused).
struct Source {
  std::string name, dir;
  std::unique_ptr<DirectoryLock> lock;
  std::unique_ptr<ResultsStore> store;
  std::vector<RunInfo> runs;
};

std::string identity(const RunConfig& c) {
  return c.model + "\n" + c.data + "\n" + c.options.dump() + "\n" + std::to_string(c.seed);
}

std::string describe_run(const RunConfig& c) { return "the run of model " + c.model + " on " + c.data; }

std::string describe_unit(const WorkUnit& u) {
  return "unit " + u.check + " stage " + std::to_string(u.stage) + (u.method.empty() ? "" : " " + u.method);
}

Source open_source(const std::string& given, const std::string& out) {
  Source s;
  s.name = given;
  std::string db = given;
  if (fs::is_directory(given)) db = (fs::path(given) / "results.sqlite").string();
  if (!fs::is_regular_file(db))
    throw InputError("sanity merge: " + given + ": no results.sqlite there (expected a shard's directory, "
                     "OUT/shards/K-of-N, or its results.sqlite)");
  s.dir = fs::path(db).parent_path().string();
  if (s.dir.empty()) s.dir = ".";
  if (fs::weakly_canonical(s.dir) == fs::weakly_canonical(out))
    throw InputError("sanity merge: " + given + " is OUT itself; give the shards' directories");
  s.lock = std::make_unique<DirectoryLock>(s.dir);
  s.store = std::make_unique<ResultsStore>(db, /*read_only=*/true);
  s.runs = s.store->runs();
  return s;
}

std::vector<Measurement> unit_rows(const ResultsStore& store, const WorkUnit& u) {
  RowFilter f;
  f.run = u.run;
  f.check = u.check;
  f.stage = u.stage;
  f.method = u.method;
  std::vector<Measurement> rows;
  store.each_row(f, [&](const ResultRow& r) { rows.push_back({r.metric, r.value, r.image, r.step, r.layer}); });
  return rows;
}

// The unit's values bit for bit (NULL read back as one NaN), in key order.
ContentKey::Digest digest(const std::vector<Measurement>& rows) {
  ContentKey key;
  key.add(std::to_string(rows.size()));
  for (const Measurement& m : rows) key.add(m.metric).add(m.layer).add(m.image).add(m.step).add(m.value);
  return key.digest();
}

// What the merged stores hold, per run identity: each unit's values and each stage label, with the
// store that first held them (for the message when another store disagrees).
struct Seen {
  std::map<std::tuple<std::string, std::string, int64_t, std::string>, std::pair<ContentKey::Digest, std::string>> units;
  std::map<std::tuple<std::string, std::string, int64_t>, std::pair<std::string, std::string>> labels;

  void add(const std::string& run, const ResultsStore& store, int64_t id, const std::string& where) {
    for (const WorkUnit& u : store.done_units(id)) {
      const ContentKey::Digest d = digest(unit_rows(store, u));
      const auto [it, added] = units.try_emplace({run, u.check, u.stage, u.method}, d, where);
      if (!added && it->second.first != d)
        throw InputError("sanity merge: " + describe_unit(u) + " has different values in " + it->second.second +
                         " and " + where + ": not shards of one study (or computed by different builds); nothing "
                         "was merged");
    }
    for (const auto& [key, label] : store.stage_labels(id)) {
      const auto [it, added] = labels.try_emplace({run, key.first, key.second}, label, where);
      if (!added && it->second.first != label)
        throw InputError("sanity merge: " + key.first + " stage " + std::to_string(key.second) + " is '" +
                         it->second.first + "' in " + it->second.second + " but '" + label + "' in " + where +
                         ": not shards of one study; nothing was merged");
    }
  }
};

bool copy_if_missing(const std::string& from, const std::string& to) {
  if (!fs::exists(from) || fs::exists(to)) return false;
  const std::string bytes = read_file_bytes(from);
  fs::create_directories(fs::path(to).parent_path());
  write_file_atomically(to, bytes);
  return true;
}

// A study's configuration (study.json's "config", less where it was written), or null without one.
nlohmann::json study_config_of(const std::string& dir) {
  const std::string path = dir + "/study.json";
  if (!fs::exists(path)) return nullptr;
  std::ifstream in(path);
  nlohmann::json j = parse_json_strict(in, path);
  nlohmann::json config = j.value("config", nlohmann::json::object());
  if (config.is_object()) config.erase("out");
  return config;
}

// Shards of `sanity run` carry their study's configuration: a shard of another study (other models,
// methods or checks) is refused before anything is written, where its runs would otherwise join OUT's.
void require_one_study(const std::string& out, const std::vector<Source>& sources) {
  std::string first_path = out + "/study.json";
  nlohmann::json first = study_config_of(out);
  for (const Source& s : sources) {
    const nlohmann::json mine = study_config_of(s.dir);
    if (mine.is_null()) continue;
    if (first.is_null()) {
      first = mine;
      first_path = s.dir + "/study.json";
      continue;
    }
    if (mine == first) continue;
    std::string field = "its configuration";
    for (const auto& [key, value] : mine.items())
      if (!first.contains(key) || first[key] != value) field = "field '" + key + "'";
    throw InputError("sanity merge: " + s.dir + "/study.json is another study than " + first_path + " (" + field +
                     " differs): not shards of one study; nothing was merged");
  }
}

using RunsByIdentity = std::map<std::string, RunConfig>;

// Shards of one study hold the same runs.
RunsByIdentity require_same_runs(const std::vector<Source>& sources) {
  RunsByIdentity runs;
  for (const RunInfo& r : sources[0].runs) runs[identity(r.config)] = r.config;
  for (const Source& s : sources) {
    RunsByIdentity mine;
    for (const RunInfo& r : s.runs) mine[identity(r.config)] = r.config;
    for (const auto& [key, config] : runs)
      if (!mine.count(key))
        throw InputError("sanity merge: " + s.name + " lacks " + describe_run(config) + " that " + sources[0].name +
                         " holds: not shards of one study (or that shard has not started this run yet); nothing was "
                         "merged");
    for (const auto& [key, config] : mine)
      if (!runs.count(key))
        throw InputError("sanity merge: " + s.name + " holds " + describe_run(config) + " that " + sources[0].name +
                         " lacks: not shards of one study; nothing was merged");
  }
  return runs;
}

// Every unit held twice must have the same values, also against what OUT holds already; OUT's
// store, when it has one, is opened into `target`.
void require_same_values(const std::string& path, const RunsByIdentity& runs, const std::vector<Source>& sources,
                         std::optional<ResultsStore>& target) {
  Seen seen;
  if (fs::exists(path)) {
    ResultsStore(path).check_integrity();
    target.emplace(path);
    for (const RunInfo& r : target->runs())
      if (runs.count(identity(r.config))) seen.add(identity(r.config), *target, r.id, path);
  }
  for (const Source& s : sources)
    for (const RunInfo& r : s.runs) seen.add(identity(r.config), *s.store, r.id, s.name);
}

// One shard's run into OUT, unit by unit: maps first, rows and marker last.
void copy_run(const Source& s, const RunInfo& r, const std::string& out, ResultsStore& target, MergeSummary& summary) {
  const int64_t id = target.open_run(r.config);
  const std::string from = s.dir + "/maps/" + std::to_string(r.id), to = out + "/maps/" + std::to_string(id);
  for (const char* f : {"index.json", "config.json"}) summary.files_copied += copy_if_missing(from + "/" + f, to + "/" + f);
  summary.files_copied += copy_checked_npy(from + "/images.npy", to + "/images.npy");
  for (const auto& [key, label] : s.store->stage_labels(r.id)) target.label_stage(id, key.first, key.second, label);
  for (const WorkUnit& u : s.store->done_units(r.id)) {
    const WorkUnit here{id, u.check, u.stage, u.method};
    if (target.is_done(here)) {
      ++summary.units_present;
      continue;
    }
    if (!u.method.empty()) {
      const std::string file = "/" + u.check + "/" + std::to_string(u.stage) + "/" + method_file_name(u.method) + ".npy";
      summary.files_copied += copy_checked_npy(from + file, to + file);
    }
    target.record_unit(here, unit_rows(*s.store, u));
    ++summary.units_added;
  }
}

// The study's configuration, for the report, from the first shard that has one.
void copy_study_json(const std::string& out, const std::vector<Source>& sources, MergeSummary& summary) {
  if (fs::exists(out + "/study.json")) return;
  for (const Source& s : sources) {
    if (!fs::exists(s.dir + "/study.json")) continue;
    std::ifstream in(s.dir + "/study.json");
    nlohmann::json j = parse_json_strict(in, s.dir + "/study.json");
    j.erase("shard");
    write_file_atomically(out + "/study.json", j.dump(2) + "\n");
    ++summary.files_copied;
    break;
  }
}

}  // namespace

MergeSummary merge_shards(const std::string& out, const std::vector<std::string>& shards) {
  if (shards.empty()) throw InputError("sanity merge: give the shards to merge (OUT/shards/*)");
  ensure_directory(out, "sanity merge OUT");
  const DirectoryLock lock(out);
  std::vector<Source> sources;
  for (const auto& s : shards) sources.push_back(open_source(s, out));
  require_one_study(out, sources);
  const RunsByIdentity runs = require_same_runs(sources);
  const std::string path = out + "/results.sqlite";
  std::optional<ResultsStore> target;
  require_same_values(path, runs, sources, target);

  if (!target) target.emplace(path);
  MergeSummary summary;
  summary.runs = static_cast<int64_t>(runs.size());
  for (const Source& s : sources)
    for (const RunInfo& r : s.runs) copy_run(s, r, out, *target, summary);
  copy_study_json(out, sources, summary);
  return summary;
}

}  // namespace sanity
