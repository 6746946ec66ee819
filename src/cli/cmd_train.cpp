// sanity train: train a built-in architecture on MNIST or Fashion-MNIST; writes model.onnx and metrics.json.
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/runtime.h"
#include "data/sources.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "models/train.h"

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
  const TrainOptions t = resolve_options(a);
  const std::string out =
      a.out.empty() ? "runs/" + a.model + "-" + a.dataset + (t.permute_labels ? "-permuted" : "") : a.out;
  std::filesystem::create_directories(out);
  const auto start = std::chrono::steady_clock::now();
  Dataset train = load_builtin_dataset(a.dataset, "train", a.common.data_dir);
  Dataset test = load_builtin_dataset(a.dataset, "test", a.common.data_dir);
  Graph g = build_builtin(a.model, t.seed, train.images.size(1), train.images.size(2), train.images.size(3),
                          static_cast<int64_t>(train.class_names.size()));
  g.to(parse_device(a.common.device));
  std::fprintf(stderr, "training %s on %s (%lld images%s), %d epochs, batch %lld, Adam lr %g (%s), %d threads\n",
               a.model.c_str(), a.dataset.c_str(), (long long)(t.subset > 0 ? t.subset : train.size() - t.validation),
               t.permute_labels ? ", permuted labels" : "", t.epochs, (long long)t.batch_size, t.lr,
               t.lr_schedule.c_str(), torch::get_num_threads());
  TrainResult r = train_classifier(g, train, t);
  const double test_acc = accuracy(g, test.images, test.labels);

  g.metadata["dataset"] = a.dataset;
  g.metadata["labels"] = t.permute_labels ? "permuted" : "true";
  g.metadata["input_range"] = "0,1";
  g.metadata["seed"] = std::to_string(t.seed);
  g.metadata["epochs"] = std::to_string(t.epochs);
  g.to(torch::kCPU);
  save_onnx(g, out + "/model.onnx");

  nlohmann::json j;
  j["model"] = a.model;
  j["dataset"] = a.dataset;
  j["options"] = {{"epochs", t.epochs},
                  {"batch_size", t.batch_size},
                  {"lr", t.lr},
                  {"lr_schedule", t.lr_schedule},
                  {"l2", t.l2},
                  {"seed", t.seed},
                  {"subset", t.subset},
                  {"validation", t.validation},
                  {"permute_labels", t.permute_labels},
                  {"optimizer", "adam"},
                  {"init", a.model == "cnn" ? "truncated normal 0.1, bias 0.1 (the authors')"
                                            : "truncated normal 2/sqrt(fan_in), bias 0 (the authors')"}};
  j["train_size"] = r.train_size;
  j["validation_size"] = r.validation_size;
  j["test_size"] = test.size();
  j["train_accuracy"] = r.train_accuracy;
  j["train_accuracy_images"] = r.train_accuracy_images;
  j["validation_accuracy"] = r.val_accuracy;
  j["test_accuracy"] = test_acc;
  j["seconds"] = r.seconds;
  j["total_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  j["threads"] = torch::get_num_threads();
  j["device"] = a.common.device;
  j["version"] = SANITY_VERSION;
  for (const auto& e : r.history)
    j["history"].push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                            {"validation_accuracy", e.val_accuracy}, {"lr", e.lr}, {"seconds", e.seconds}});
  std::ofstream(out + "/metrics.json") << j.dump(2) << "\n";
  std::printf("%s on %s: train accuracy %.2f%%, validation %.2f%%, test %.2f%% (%.0f s); wrote %s/model.onnx\n",
              a.model.c_str(), a.dataset.c_str(), 100 * r.train_accuracy, 100 * r.val_accuracy, 100 * test_acc,
              r.seconds, out.c_str());
  return 0;
}

}  // namespace

Command make_train_command() {
  auto args = std::make_shared<TrainArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("train", "Train a built-in model (cnn or mlp) on MNIST or Fashion-MNIST");
    s->add_option("--model", args->model, "cnn or mlp")->capture_default_str()->check(CLI::IsMember({"cnn", "mlp"}));
    s->add_option("--dataset", args->dataset, "mnist or fashion-mnist")
        ->capture_default_str()
        ->check(CLI::IsMember({"mnist", "fashion-mnist"}));
    // Without these flags the measured recipe for the model, dataset and labels applies (README "Training").
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
