// sanity check: run sanity checks (model/data randomization and friends) into a results database.
#include "api/listing.h"
#include "api/study.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/spec.h"
#include "distributed/shard.h"
#include "distributed/world.h"
#include "metrics/registry.h"
#include "study/checks/check.h"

namespace sanity::cli {
namespace {

struct CheckArgs {
  CommonOptions common;
  DataArgs data;
  CheckConfig config;
  api::CheckLists lists;
  std::string shard;  // --shard i/n: this process's share of the units (distributed/shard.h)
};

int run_check(CheckArgs& a) {
  distributed::World& world = distributed::World::instance();
  world.start();  // under mpirun: one rank of a distributed run
  apply_common_options(a.common);
  CheckConfig c = a.config;
  c.data = finish_data_options(a.data, a.common);
  api::apply_check_lists(c, a.lists);
  c.progress = !a.common.quiet;
  c.shard = a.shard;
  c.device = a.common.device;
  c.precision = a.common.precision;
  const CheckSummary s = api::check(c);
  if (world.rank() == 0)
    std::printf("run %lld: %lld units computed%s, %lld already done, %.1f s; results in %s/results.sqlite\n",
                (long long)s.run_id, (long long)s.units_done, units_by_rank(s.units_by_rank).c_str(),
                (long long)s.units_skipped, s.seconds, distributed::parse_shard(c.shard).directory(c.out_dir).c_str());
  world.stop();
  return 0;
}

}  // namespace

Command make_check_command() {
  auto a = std::make_shared<CheckArgs>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand(
        "check",
        "Run sanity checks: randomize the model (cascading, bottom_up, independent), swap in a model trained on\n"
        "permuted labels (data), explain a random class (random_logit), sMPRT, eMPRT; compare every method's\n"
        "explanations with the trained model's by every metric, per image, into OUT/results.sqlite (resumable)");
    s->add_option("--model", a->config.model, "the trained model: an .onnx file")->required();
    s->add_option("--permuted-model", a->config.permuted_model,
                  "for --checks data: the same architecture trained on permuted labels (.onnx)");
    s->add_option("--reference-model", a->config.reference_model,
                  "for --checks data: the same architecture trained with the true labels on the permuted model's images\n"
                  "and recipe (.onnx); the data check then compares it, not --model, with --permuted-model");
    add_data_options(s, a->data);
    s->add_option("--methods", a->lists.methods, "comma-separated method specs, e.g. gradient,smoothgrad(gradient, n=50)")
        ->required();
    s->add_option("--checks", a->lists.checks, "comma-separated check specs: " + CheckRegistry::instance().names())
        ->capture_default_str();
    s->add_option("--metrics", a->config.metrics, "similarity metric specs: " + MetricRegistry::instance().names())
        ->capture_default_str();
    s->add_option("--layers", a->lists.layers,
                  "layer groups to randomize as stages, output first (default: every layer with parameters; block "
                  "names such as Mixed_7c group every layer under them; 'blocks': the model's own blocks, as "
                  "`sanity info` lists them)");
    s->add_option("--init", a->lists.init, "re-initialization: original (the layer's initializer), default (framework), permute")
        ->capture_default_str();
    s->add_flag("--keep-bias", a->lists.keep_bias, "do not re-initialize biases");
    s->add_flag("--reset-bn-stats", a->config.reinit.reset_batchnorm_stats, "reset BatchNorm running statistics too");
    s->add_flag("--per-image", a->config.reinit.per_image, "a new randomization for every image");
    s->add_option("--target", a->config.target, "predicted (per stage, the authors' choice), trained or true")
        ->capture_default_str();
    s->add_option("--batch-size", a->config.batch_size, "images per batch")->capture_default_str();
    s->add_option("--grid-images", a->config.grid_images, "images whose maps are kept for the saliency grid")
        ->capture_default_str();
    s->add_option("--out", a->config.out_dir, "study directory")->capture_default_str();
    s->add_flag("--repair", a->config.repair,
                "rebuild a damaged results.sqlite or saved maps from what still reads back, and compute the rest again");
    s->add_option("--shard", a->shard,
                  "K/N: compute only shard K of N of the units, into OUT/shards/K-of-N/ (job arrays; `sanity merge`\n"
                  "joins the shards). Under mpirun the ranks share the units without it");
    add_common_options(s, a->common);
    add_precision_option(s, a->common);
    s->footer("Checks (option=default):\n" + api::synopsis("checks") + "\nMetrics:\n" + api::synopsis("metrics") +
              "\nMethods:\n" + api::synopsis("methods") + "\n`sanity list` shows every option with its type and meaning.");
    return s;
  };
  c.execute = [a] { return run_check(*a); };
  return c;
}

}  // namespace sanity::cli
