#include "models/train_job.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "data/sources.h"
#include "models/builtin.h"
#include "models/model_io.h"

namespace sanity {

nlohmann::json train_options_json(const TrainJob& job) {
  const TrainOptions& t = job.options;
  nlohmann::json j = {{"epochs", t.epochs},
                      {"batch_size", t.batch_size},
                      {"lr", t.lr},
                      {"lr_schedule", t.lr_schedule},
                      {"l2", t.l2},
                      {"seed", t.seed},
                      {"subset", t.subset},
                      {"validation", t.validation},
                      {"permute_labels", t.permute_labels},
                      {"optimizer", "adam"},
                      {"init", job.model == "cnn"   ? "truncated normal 0.1, bias 0.1 (the authors')"
                               : job.model == "vit" ? "truncated normal sqrt(1/fan_in), bias 0; position embedding 0.02 (torchvision's)"
                                                    : "truncated normal 2/sqrt(fan_in), bias 0 (the authors')"}};
          // Recorded only when not float32, so that the models trained before precision was an option
  // (all float32) are still reused.
  if (job.precision != "float32") j["precision"] = job.precision;
  return j;
}

nlohmann::json train_and_save(const TrainJob& job) {
  const torch::Device device = parse_device(job.device);
  TrainOptions t = job.options;
  t.precision = parse_precision(job.precision, device);
  check_train_options(t);  // before anything is loaded, written or printed
  ensure_directory(job.out, "--out");
  const auto start = std::chrono::steady_clock::now();
  Dataset train = load_builtin_dataset(job.dataset, "train", job.data_dir);
  Dataset test = load_builtin_dataset(job.dataset, "test", job.data_dir);
  Graph g = build_builtin(job.model, t.seed, train.images.size(1), train.images.size(2), train.images.size(3),
                          static_cast<int64_t>(train.class_names.size()));
  g.to(device);
  if (t.progress)
    std::fprintf(stderr, "training %s on %s (%lld images%s), %d epochs, batch %lld, Adam lr %g (%s), %s, %d threads\n",
                 job.model.c_str(), job.dataset.c_str(),
                 (long long)(t.subset > 0 ? t.subset : train.size() - t.validation),
                 t.permute_labels ? ", permuted labels" : "", t.epochs, (long long)t.batch_size, t.lr,
                 t.lr_schedule.c_str(), job.precision.c_str(), torch::get_num_threads());
  TrainResult r = train_classifier(g, train, t);
  const double test_acc = accuracy(g, test.images, test.labels);

  g.metadata["dataset"] = job.dataset;
  g.metadata["labels"] = t.permute_labels ? "permuted" : "true";
  g.metadata["input_range"] = "0,1";
  g.metadata["seed"] = std::to_string(t.seed);
  g.metadata["epochs"] = std::to_string(t.epochs);
  g.to(torch::kCPU);
  save_onnx(g, job.out + "/model.onnx");

  nlohmann::json j;
  j["model"] = job.model;
  j["dataset"] = job.dataset;
  j["options"] = train_options_json(job);
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
  j["device"] = job.device;
  j["version"] = SANITY_VERSION;
  for (const auto& e : r.history)
    j["history"].push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                            {"validation_accuracy", e.val_accuracy}, {"lr", e.lr}, {"seconds", e.seconds}});
  // Written last, through a rename: a metrics.json next to a model means the model is complete.
  write_file_atomically(job.out + "/metrics.json", j.dump(2) + "\n");
  return j;
}

nlohmann::json ensure_trained(const TrainJob& job, bool* reused) {
  const std::string metrics = job.out + "/metrics.json";
  if (std::filesystem::exists(metrics) && std::filesystem::exists(job.out + "/model.onnx")) {
    try {
      nlohmann::json j = nlohmann::json::parse(std::ifstream(metrics));
      if (j.value("model", "") == job.model && j.value("dataset", "") == job.dataset &&
          j["options"] == train_options_json(job)) {
        if (reused) *reused = true;
        return j;
      }
    } catch (const nlohmann::json::exception&) {
      // An unreadable metrics.json: train again and overwrite it.
    }
  }
  if (reused) *reused = false;
  return train_and_save(job);
}

}  // namespace sanity
