#include "study/check_runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "core/files.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "distributed/coordination.h"
#include "models/activation_reuse.h"
#include "results/store.h"
#include "study/check_tasks.h"
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

// What the process that writes the study holds while a run lasts: the directory's lock, the store and
// the context of the run it opened.
struct OpenStudy {
  std::unique_ptr<DirectoryLock> lock;
  std::unique_ptr<ResultsStore> store;
  std::unique_ptr<CheckContext> context;
  RunConfig identity;
  TaskPlan plan;
};

// Lock, store (checked, or repaired, before resuming), the run, stage labels, the grid's index and the
// tasks the store does not hold yet.
void open_study(const CheckConfig& c, const std::vector<CheckPtr>& checks, const distributed::Shard& shard,
                OpenStudy& o) {
  ensure_directory(c.out_dir, "--out");
  o.lock = std::make_unique<DirectoryLock>(c.out_dir);
  const std::string path = c.out_dir + "/results.sqlite";
  if (fs::exists(path)) open_for_resume(path, c.repair);
  o.store = std::make_unique<ResultsStore>(path);
  o.context = std::make_unique<CheckContext>(c, o.store.get());
  CheckContext& context = *o.context;
  context.prepare();
  o.identity = context.open_run();
  std::vector<std::pair<std::string, std::vector<Stage>>> grid;
  for (const auto& check : checks) {
    const std::vector<Stage> stages = check->stages(context);
    for (const auto& s : stages) o.store->label_stage(context.run(), check->name(), s.index, s.name);
    if (check->keeps_maps()) grid.push_back({check->name(), stages});
  }
  context.prepare_grid(grid);
  o.plan = plan_tasks(checks, context, shard);
}

// Once every unit of the run is committed, the trained model's maps cached for resuming
// (OUT/cache/<run>/, ExplanationCache::original) are removed, so that a finished study keeps only what it
// reports: a rerun reuses every unit, and one that adds a method or check to the run computes the
// trained model's maps again (one pass of each method over the test bed), never reads stale ones.
void drop_run_cache(const CheckConfig& c, int64_t run, int64_t done, int64_t todo) {
  if (done != todo) return;
  std::error_code ignored;  // a cache that cannot be removed costs disk space, not results
  std::filesystem::remove_all(c.out_dir + "/cache/" + std::to_string(run), ignored);
}

std::string finished(int64_t done, int64_t skipped) {
  return std::to_string(done) + " units computed, " + std::to_string(skipped) + " reused";
}

// The randomization stages each method has planned in this process, for StageModels::plan.
std::map<std::string, std::vector<Stage>> stages_by_method(const std::vector<CheckPtr>& checks, CheckContext& c,
                                                           const TaskPlan& plan) {
  std::map<std::string, std::vector<Stage>> out;
  for (const auto& check : checks) {
    if (!check->explains_stage_models()) continue;
    const std::vector<Stage> stages = check->stages(c);
    for (const CheckTask& task : plan.tasks) {
      if (task.check != check->name()) continue;
      const auto s = std::find_if(stages.begin(), stages.end(), [&](const Stage& x) { return x.index == task.stage; });
      if (s == stages.end()) continue;
      for (const std::string& m : task.methods)
        if (!m.empty()) out[m].push_back(*s);
    }
  }
  return out;
}

// One process: the tasks in order.
CheckSummary run_here(const CheckConfig& c, const std::vector<CheckPtr>& checks, const distributed::Shard& shard) {
  OpenStudy o;
  open_study(c, checks, shard, o);
  o.context->stage_models().plan(stages_by_method(checks, *o.context, o.plan));
  Progress bar("check " + c.model, o.plan.units_todo + o.plan.units_skipped, c.progress);
  bar.advance(o.plan.units_skipped);
  o.context->set_progress(&bar);
  int64_t done = 0;
  for (const CheckTask& task : o.plan.tasks) {
    const int64_t n = commit_task(checks, *o.context, task, compute_task(checks, *o.context, task));
    done += n;
    bar.advance(n);
  }
  bar.finish(finished(done, o.plan.units_skipped));
  drop_run_cache(c, o.context->run(), done, o.plan.units_todo);
  return {o.context->run(), done, o.plan.units_skipped, 0, {}};
}

std::string encode_identity(int64_t run, const RunConfig& rc) {
  return nlohmann::json{{"run", run}, {"model", rc.model}, {"data", rc.data}, {"options", rc.options}, {"seed", rc.seed}}
      .dump();
}

// Rank 0 of a distributed run: opens the study, hands the tasks out (computing some itself) and
// commits every result; it alone writes the study directory.
CheckSummary coordinate_run(const CheckConfig& c, const std::vector<CheckPtr>& checks, const distributed::Shard& shard) {
  OpenStudy o;
  distributed::run_on_rank0([&] {
    open_study(c, checks, shard, o);
    return encode_identity(o.context->run(), o.identity);
  });
  CheckContext& context = *o.context;
  const distributed::World& world = distributed::World::instance();
  Progress bar("check " + c.model + " (" + std::to_string(world.size()) + " ranks)",
               o.plan.units_todo + o.plan.units_skipped, c.progress);
  bar.advance(o.plan.units_skipped);
  std::vector<std::string> tasks;
  for (const CheckTask& t : o.plan.tasks) tasks.push_back(encode_task(t));
  int64_t done = 0;
  std::vector<int64_t> by_rank(static_cast<size_t>(world.size()), 0);
  distributed::coordinate(
      tasks, [&](const std::string& t) { return encode_outputs(compute_task(checks, context, decode_task(t))); },
      [&](size_t i, const std::string& result, int rank) {
        const int64_t n = commit_task(checks, context, o.plan.tasks[i], decode_outputs(result));
        done += n;
        by_rank.at(static_cast<size_t>(rank)) += n;
        bar.advance(n, describe(o.plan.tasks[i]) + " (rank " + std::to_string(rank) + ")");
      },
      {true, [&](size_t i) { return describe(o.plan.tasks[i]); }});
  bar.finish(finished(done, o.plan.units_skipped));
  drop_run_cache(c, context.run(), done, o.plan.units_todo);
  return {context.run(), done, o.plan.units_skipped, 0, by_rank};
}

// The other ranks: once rank 0 has opened the run (and fetched what was missing: no two processes
// download into one cache), the same model and data, checked to be the same inputs as rank 0's; then
// the tasks rank 0 hands out.
CheckSummary serve_run(const CheckConfig& c, const std::vector<CheckPtr>& checks) {
  const auto rank0 = nlohmann::json::parse(distributed::run_on_rank0([] { return std::string(); }));
  CheckContext context(c, nullptr);
  context.prepare();
  const RunConfig mine = context.run_config();
  std::vector<std::string> differ;
  if (rank0["model"] != mine.model) differ.push_back("model weights");
  if (rank0["data"] != mine.data) differ.push_back("data");
  if (rank0["options"] != mine.options) differ.push_back("options or other inputs");
  if (rank0["seed"] != mine.seed) differ.push_back("seed");
  if (!differ.empty()) {
    std::string list;
    for (const auto& d : differ) list += (list.empty() ? "" : ", ") + d;
    throw InputError("its inputs differ from rank 0's (" + list + "): every rank must read the same files and options");
  }
  context.join_run(rank0["run"].get<int64_t>());
  distributed::serve([&](const std::string& t) { return encode_outputs(compute_task(checks, context, decode_task(t))); });
  return {context.run(), 0, 0, 0, {}};
}

}  // namespace

CheckSummary run_checks(const CheckConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  config.validate();
  // Every check is built (its options and metrics checked) before the model is loaded.
  std::vector<CheckPtr> checks;
  for (const Spec& s : config.resolved_checks()) checks.push_back(CheckRegistry::instance().make(s));
  const distributed::Shard shard = distributed::parse_shard(config.shard);
  CheckConfig c = config;
  c.out_dir = shard.directory(config.out_dir);
  const distributed::World& world = distributed::World::instance();
  // Passes share the forward values of layers they have in common (models/activation_reuse.h): at
  // most a sixteenth of the memory of the device they live on, and 1 GiB, for the values kept.
  const double memory = memory_for_batches(parse_device(c.device));
  ActivationReuse reuse(static_cast<size_t>(std::min(memory > 0 ? memory / 16 : 5e8, double(size_t{1} << 30))));
  CheckSummary s = !world.distributed() ? run_here(c, checks, shard)
                   : world.rank() == 0  ? coordinate_run(c, checks, shard)
                                        : serve_run(c, checks);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace sanity
