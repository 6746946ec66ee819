// sanity run: the whole study in one command (study/study_runner.h); with no config, the embedded
// default that reproduces the papers' MNIST experiments.
#include "api/study.h"
#include "cli/commands.h"
#include "distributed/shard.h"
#include "distributed/world.h"

namespace sanity::cli {
namespace {

struct RunArgs {
  CommonOptions common;
  std::string config, out, shard;
  bool print_default = false, no_report = false, repair = false;
};

int run_study_command(const RunArgs& a) {
  if (a.print_default) {
    std::printf("%s\n", default_study_json().dump(2).c_str());
    return 0;
  }
  distributed::World& world = distributed::World::instance();
  world.start();  // under mpirun: one rank of a distributed run
  apply_common_options(a.common);
  StudyConfig c = a.config.empty() ? parse_study_config(nlohmann::json::object(), "the default study")
                                   : load_study_config(a.config);
  if (!a.out.empty()) c.out = a.out;
  if (a.no_report) c.report = false;
  const StudySummary s = api::run(c, {a.common.data_dir, a.common.device_given(), a.common.precision_given(),
                                                !a.common.quiet, a.repair, a.shard});
  const std::string dir = distributed::parse_shard(a.shard).directory(c.out);
  if (world.rank() == 0)
    std::printf("study done in %.0f s: %lld work units computed%s, %lld reused; %lld models trained, %lld reused; "
                "results in %s/results.sqlite%s%s\n",
                s.seconds, (long long)s.units_done, units_by_rank(s.units_by_rank).c_str(), (long long)s.units_skipped,
                (long long)s.models_trained, (long long)s.models_reused, dir.c_str(), s.report.empty() ? "" : ", report ",
                s.report.c_str());
  world.stop();
  return 0;
}

}  // namespace

Command make_run_command() {
  auto a = std::make_shared<RunArgs>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand(
        "run",
        "Run a whole study: train (or reuse) the models, explain the test bed with every method, run every\n"
        "check and metric into OUT/results.sqlite, write figures and OUT/report/report.html. Without CONFIG,\n"
        "the default study: MNIST CNN (and a copy trained on permuted labels) and MLP, every method,\n"
        "cascading/independent/data randomization, CSC and pixel flipping on 200 test images.\n"
        "Rerunning resumes: finished work is reused.");
    s->add_option("config", a->config, "study configuration (JSON; see `sanity run --print-default-config`)");
    s->add_option("--out", a->out, "study directory (overrides the config's \"out\"; default runs/study)");
    s->add_flag("--print-default-config", a->print_default, "print the default study's configuration and exit");
    s->add_flag("--no-report", a->no_report, "skip the figures and the HTML report");
    s->add_flag("--repair", a->repair,
                "rebuild a damaged results.sqlite or saved maps from what still reads back, and compute the rest again");
    s->add_option("--shard", a->shard,
                  "K/N: compute only shard K of N of the units, into OUT/shards/K-of-N/ (job arrays; the shards train\n"
                  "missing models once, into OUT/models/; `sanity merge` joins them). Under mpirun the ranks share the\n"
                  "units without it");
    add_common_options(s, a->common);
    add_precision_option(s, a->common);
    return s;
  };
  c.execute = [a] { return run_study_command(*a); };
  return c;
}

}  // namespace sanity::cli
