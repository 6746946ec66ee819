#include "study/check_runner.h"

#include <chrono>
#include <filesystem>

#include "core/files.h"
#include "core/progress.h"
#include "results/store.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace fs = std::filesystem;

namespace sanity {

namespace {

// A store about to be resumed must be whole: a damaged one is an error with the way out, or with
// --repair is rebuilt from what still reads back.
void open_for_resume(const std::string& path, bool repair) {
  try {
    ResultsStore(path).check_integrity();
    return;
  } catch (const InputError&) {
    if (!repair) throw;
  }
  const SalvageReport r = ResultsStore::salvage(path);
  std::fprintf(stderr, "repaired %s: kept %lld runs and %lld units, %lld units to compute again; the damaged file is "
                       "%s\n", path.c_str(), (long long)r.runs, (long long)r.units_kept, (long long)r.units_lost,
               r.damaged_copy.c_str());
}

}  // namespace

CheckSummary run_checks(const CheckConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  config.validate();
  // Every check is built (its options and metrics checked) before the model is loaded.
  std::vector<CheckPtr> checks;
  for (const Spec& s : config.resolved_checks()) checks.push_back(CheckRegistry::instance().make(s));

  ensure_directory(config.out_dir, "--out");
  const DirectoryLock lock(config.out_dir);
  const std::string path = config.out_dir + "/results.sqlite";
  if (fs::exists(path)) open_for_resume(path, config.repair);
  ResultsStore store(path);
  CheckContext context(config, store);
  context.prepare();
  context.open_run();

  std::vector<std::pair<std::string, std::vector<Stage>>> grid;
  int64_t total = 0;
  for (const auto& check : checks) {
    if (check->keeps_maps()) grid.push_back({check->name(), check->stages(context)});
    total += check->unit_count(context);
  }
  context.prepare_grid(grid);
  Progress bar("check " + config.model, total, config.progress);
  context.set_progress(&bar);
  for (const auto& check : checks) check->run(context);
  bar.finish(std::to_string(context.units_done()) + " units computed, " + std::to_string(context.units_skipped()) +
             " reused");

  CheckSummary s;
  s.run_id = context.run();
  s.units_done = context.units_done();
  s.units_skipped = context.units_skipped();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace sanity
