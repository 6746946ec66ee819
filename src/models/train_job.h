#pragma once
// Train a built-in model on a built-in dataset and write it: OUT/model.onnx and OUT/metrics.json
// (options, per-epoch history, train/validation/test accuracy, time). Shared by `sanity train` and
// `sanity run`, which reuses a model whose metrics.json records the same options.
#include <nlohmann/json.hpp>

#include <string>

#include "models/train.h"

namespace sanity {

struct TrainJob {
  std::string model = "cnn";      // built-in architecture: cnn | mlp
  std::string dataset = "mnist";  // mnist | fashion-mnist
  std::string out;                // output directory
  TrainOptions options;
  std::string data_dir;           // cache of built-in datasets ("" = default)
  std::string device = "cpu";
  std::string precision = "float32";  // float32, tf32 or bf16 (core/precision.h)
};

// The options as metrics.json records them: what identifies a trained model for reuse.
nlohmann::json train_options_json(const TrainJob& job);

// Trains and writes the model; returns the metrics JSON.
nlohmann::json train_and_save(const TrainJob& job);

// OUT/metrics.json when it records the same model, dataset and options and OUT/model.onnx exists;
// otherwise trains. `reused` tells which.
nlohmann::json ensure_trained(const TrainJob& job, bool* reused = nullptr);

}  // namespace sanity
