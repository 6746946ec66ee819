#pragma once
// What `sanity check` runs: one model, one test bed, a list of methods, checks and metrics.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "data/load.h"
#include "randomization/reinit.h"

namespace sanity {

// The checks `sanity check` knows, in the order they run.
//   cascading, bottom_up, independent  model parameter randomization (Adebayo et al. 2018)
//   data          a model trained on permuted labels (needs permuted_model)
//   random_logit  explanation of the target class vs a random other class (Sixt et al. 2020)
//   smprt         smoothed MPRT, bottom-up (Hedstroem et al. 2023)
//   emprt         efficient MPRT: relative entropy change under full randomization
const std::vector<std::string>& known_checks();

struct CheckConfig {
  std::string model;           // .onnx file, or cnn / mlp (untrained built-ins)
  std::string permuted_model;  // for the data check: same architecture trained on permuted labels
  DataOptions data;
  std::vector<std::string> methods;   // method specs
  std::vector<std::string> checks{"cascading", "independent"};
  std::string metrics = "spearman_abs, spearman, ssim, hog";
  std::vector<std::string> layers;    // layer groups (default: every parameterized layer)
  ReinitOptions reinit;
  std::string target = "predicted";   // predicted: argmax of the model explained, per stage (authors);
                                      // trained: the trained model's class; true: the label
  int64_t batch_size = 256;
  int64_t grid_images = 4;            // images whose maps are kept for the saliency grid
  int64_t activation_images = 64;     // images used for activation-scale statistics
  std::string random_logit_metric = "ssim";
  std::string smprt_metric = "spearman_abs";
  int64_t smprt_samples = 50;
  double smprt_sigma = 0.1;
  std::string out_dir = "out";
  bool progress = true;

  // Throws InputError for unknown checks/target or a data check without a permuted model.
  void validate() const;
  // The options that define the run's identity (methods and checks are work units, not identity:
  // adding a method to a finished study computes only that method).
  nlohmann::json identity() const;
  nlohmann::json to_json() const;
};

}  // namespace sanity
