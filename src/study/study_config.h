#pragma once
// What `sanity run` runs: models x methods x checks x metrics on one test bed per model, from a JSON
// file; every field has a default, and the embedded default study reproduces the papers' MNIST
// experiments (docs/STUDY_CONFIG.md lists the fields).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "data/load.h"
#include "models/train.h"
#include "faithfulness/faithfulness.h"
#include "randomization/reinit.h"
#include "stats/verdicts.h"

namespace sanity {

struct StudyModel {
  std::string name;            // folder name under OUT/models and label in the report
  // Either a built-in architecture trained here (builtin + dataset) ...
  std::string builtin;         // cnn | mlp
  std::string dataset;         // mnist | fashion-mnist: training data and test bed
  TrainOptions train;          // the recipe (recommended_train_options) with the config's overrides
  bool permuted = false;       // also train a copy on permuted labels, for the data check
  TrainOptions permuted_train; // its recipe: permuted labels, 10,000 training images by default
  // ... or an ONNX file the user brings, with its test bed.
  std::string onnx;
  std::string permuted_onnx;   // the same architecture trained on permuted labels (enables the data check)
  // The same architecture trained with the true labels on permuted_onnx's images (the data check's
  // true-label side; default: onnx). Built-ins with permuted: true train it (`-reference`).
  std::string reference_onnx;
  DataOptions data;            // for onnx models (spec, labels, preprocessing); built-ins: the dataset
  // The layer groups randomization stages follow (`sanity check --layers`): empty for one stage per
  // layer with parameters, "blocks" for the model's own blocks, or group names.
  std::string layers;
};

struct StudyConfig {
  std::string out = "runs/study";
  TestBedOptions testbed;      // count 200, seed 0
  std::string split = "test";
  std::vector<StudyModel> models;
  std::vector<std::string> methods;
  std::vector<std::string> checks;
  std::string metrics;
  ReinitOptions reinit;
  FaithfulnessOptions faithfulness;  // the pixel_flipping check's protocol (docs/FAITHFULNESS.md)
  VerdictRule verdicts;        // the report's verdict rule (stats/verdicts.h), recorded in study.json
  std::string target = "predicted";
  int64_t batch_size = 256;
  int64_t grid_images = 4;
  bool report = true;
  // Where training and the checks run: cpu, cuda, cuda:N or auto; `sanity run --device` overrides it.
  std::string device = "cpu";
  // Of the attribution passes and of training: float32, tf32 or bf16 (core/precision.h); `sanity run
  // --precision` overrides it.
  std::string precision = "float32";

  nlohmann::json to_json() const;  // every field, defaults filled in: what study.json records
};

// The embedded default: MNIST CNN (with a permuted-label copy) and MLP, every method, cascading,
// independent and data randomization, CSC and pixel flipping, 200 test images.
nlohmann::json default_study_json();

// Parses a config; fields left out take the default study's values. `origin` names the file in errors
// ("config.json: field 'models[1].builtin': expected cnn or mlp"). Unknown fields are errors.
StudyConfig parse_study_config(const nlohmann::json& j, const std::string& origin);
StudyConfig load_study_config(const std::string& path);

}  // namespace sanity
