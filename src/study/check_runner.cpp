#include "study/check_runner.h"

#include <chrono>
#include <filesystem>

#include "core/progress.h"
#include "results/store.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace fs = std::filesystem;

namespace sanity {

CheckSummary run_checks(const CheckConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  config.validate();
  // Every check is built (its options and metrics checked) before the model is loaded.
  std::vector<CheckPtr> checks;
  for (const Spec& s : config.resolved_checks()) checks.push_back(CheckRegistry::instance().make(s));

  fs::create_directories(config.out_dir);
  ResultsStore store(config.out_dir + "/results.sqlite");
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
