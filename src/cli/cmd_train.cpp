// sanity train: train a built-in architecture on MNIST or Fashion-MNIST; writes model.onnx and metrics.json.
#include "cli/commands.h"
#include "models/train_job.h"

namespace sanity::cli {
namespace {

struct TrainArgs {
  CommonOptions common;
  std::string model = "cnn", dataset = "mnist", out;
  TrainOptions train;
  // Options whose default is the recipe for the model, dataset and labels (recommended_train_options).
  CLI::Option *epochs = nullptr, *lr = nullptr, *batch_size = nullptr, *lr_schedule = nullptr;
};

// The recipe for this model, dataset and labels, with every option the user gave on top.
TrainOptions resolve_options(const TrainArgs& a) {
  TrainOptions t = a.train;
  const TrainOptions recipe = recommended_train_options(a.model, a.dataset, a.train.permute_labels);
  if (!a.epochs->count()) t.epochs = recipe.epochs;
  if (!a.lr->count()) t.lr = recipe.lr;
  if (!a.batch_size->count()) t.batch_size = recipe.batch_size;
  if (!a.lr_schedule->count()) t.lr_schedule = recipe.lr_schedule;
  t.progress = !a.common.quiet;
  return t;
}

int run_train(const TrainArgs& a) {
  apply_common_options(a.common);
  TrainJob job{a.model, a.dataset, a.out, resolve_options(a), a.common.data_dir, a.common.device};
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
    args->epochs = s->add_option("--epochs", args->train.epochs, "training epochs (default: the recipe, see README)");
    args->lr = s->add_option("--lr", args->train.lr, "peak Adam learning rate (default: the recipe)");
    args->batch_size = s->add_option("--batch-size", args->train.batch_size, "mini-batch size (default: the recipe)");
    args->lr_schedule = s->add_option("--lr-schedule", args->train.lr_schedule,
                                      "cosine (warm-up, then decay to 0) or constant (default: the recipe)")
                            ->check(CLI::IsMember({"cosine", "constant"}));
    s->add_option("--l2", args->train.l2, "L2 penalty on all weights but the logits layer")->capture_default_str();
    s->add_option("--seed", args->train.seed, "seed for initialization, shuffling and label permutation")
        ->capture_default_str();
    s->add_option("--subset", args->train.subset, "train on N random training images (0: all)")->capture_default_str();
    s->add_option("--validation", args->train.validation, "hold out the first N training images")
        ->capture_default_str();
    s->add_flag("--permute-labels", args->train.permute_labels,
                "permute the training labels once at random (the data randomization test's model)");
    s->add_option("--out", args->out, "output directory (default runs/<model>-<dataset>[-permuted])");
    add_common_options(s, args->common);
    return s;
  };
  c.execute = [args] { return run_train(*args); };
  return c;
}

}  // namespace sanity::cli
