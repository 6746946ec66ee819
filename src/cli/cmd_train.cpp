// sanity train: train a built-in architecture on MNIST or Fashion-MNIST; writes model.onnx and metrics.json.
#include "cli/commands.h"
#include "cli/setting_flags.h"
#include "models/train_job.h"

namespace sanity::cli {
namespace {

struct TrainArgs {
  CommonOptions common;
  std::string model = "cnn", dataset = "mnist", out;
  bool permute_labels = false;
  nlohmann::json given = nlohmann::json::object();  // the recipe's flags (train_settings)
};

// The recipe for this model, dataset and labels, with every option the user gave on top.
TrainOptions resolve_options(const TrainArgs& a) {
  TrainOptions t = recommended_train_options(a.model, a.dataset, a.permute_labels);
  train_settings().apply_flags(a.given, t, cli_flag());
  t.progress = !a.common.quiet;
  return t;
}

int run_train(const TrainArgs& a) {
  apply_common_options(a.common);
  TrainJob job{a.model, a.dataset, a.out, resolve_options(a), a.common.data_dir, a.common.device, a.common.precision};
  if (job.out.empty()) job.out = "runs/" + a.model + "-" + a.dataset + (job.options.permute_labels ? "-permuted" : "");
  const nlohmann::json j = train_and_save(job);
  // No validation images: no validation accuracy to print (the trainer records -1).
  const double validation = j["validation_accuracy"].get<double>();
  char held_out[64] = "no validation set";
  if (validation >= 0) std::snprintf(held_out, sizeof held_out, "validation %.2f%%", 100 * validation);
  std::printf("%s on %s: train accuracy %.2f%%, %s, test %.2f%% (%.0f s); wrote %s/model.onnx\n", a.model.c_str(),
              a.dataset.c_str(), 100 * j["train_accuracy"].get<double>(), held_out, 100 * j["test_accuracy"].get<double>(),
              j["seconds"].get<double>(), job.out.c_str());
  return 0;
}

}  // namespace

Command make_train_command() {
  auto args = std::make_shared<TrainArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("train", "Train a built-in model (cnn, mlp or vit) on MNIST or Fashion-MNIST");
    s->add_option("--model", args->model, "cnn, mlp or vit")->capture_default_str()->check(CLI::IsMember({"cnn", "mlp", "vit"}));
    s->add_option("--dataset", args->dataset, "mnist or fashion-mnist")
        ->capture_default_str()
        ->check(CLI::IsMember({"mnist", "fashion-mnist"}));
    // Without these flags the measured recipe for the model, dataset and labels applies
    // (recommended_train_options, models/train.cpp).
    add_setting_flags(s, train_settings(), TrainOptions{}, args->given, "", [](const Setting& e) {
      return e.key == "epochs" || e.key == "lr" || e.key == "batch_size" ? "the recipe" : "";
    });
    s->add_flag("--permute-labels", args->permute_labels,
                "permute the training labels once at random (the data randomization test's model)");
    s->add_option("--out", args->out, "output directory (default runs/<model>-<dataset>[-permuted])");
    add_common_options(s, args->common);
    add_precision_option(s, args->common);
    return s;
  };
  c.execute = [args] { return run_train(*args); };
  return c;
}

}  // namespace sanity::cli
