#pragma once
// What `sanity check` runs: one model, one test bed, a list of methods, checks and metrics.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "data/load.h"
#include "faithfulness/faithfulness.h"
#include "randomization/reinit.h"

namespace sanity {

// The revision of the stored quantities' definitions, part of every run's identity (identity()).
inline constexpr int kDefinitionsRevision = 2;

struct CheckConfig {
  std::string model;           // .onnx file, or cnn / mlp (untrained built-ins)
  std::string permuted_model;  // for the data check: same architecture trained on permuted labels
  // For the data check: the same architecture trained with the true labels on the permuted model's
  // images and recipe, so that the labels are the only difference; empty: `model` itself.
  std::string reference_model;
  DataOptions data;
  std::vector<std::string> methods;   // method specs
  // Check specs, run in this order (study/checks/check.h; `sanity list checks`): smprt(samples=20).
  std::vector<std::string> checks{"cascading", "independent"};
  std::string metrics = "spearman_abs, spearman, ssim, hog";
  std::vector<std::string> layers;    // layer groups (default: every parameterized layer)
  ReinitOptions reinit;
  std::string target = "predicted";   // predicted: argmax of the model explained, per stage (authors);
                                      // trained: the trained model's class; true: the label
  int64_t batch_size = 256;
  int64_t grid_images = 4;            // images whose maps are kept for the saliency grid
  int64_t activation_images = 64;     // images used for activation-scale statistics
  // Training images for methods that fit on data (PatternNet/PatternAttribution): "auto" = the
  // built-in dataset's train split when the test bed is a built-in dataset; "none".
  std::string fit_data = "auto";
  FaithfulnessOptions faithfulness;  // the pixel_flipping check's protocol
  std::string out_dir = "out";
  bool progress = true;
  // Before resuming: a damaged results.sqlite or saved map is an error naming it; with repair, what
  // can be read is kept and the rest computed again (not part of the identity).
  bool repair = false;
  // "K/N": compute only shard K of N of the units, into OUT/shards/K-of-N/ (distributed/shard.h; not
  // part of the identity: the shards of one study merge into one run). "": every unit, into OUT.
  std::string shard;
  // Where models, batches, maps and metrics live: cpu, cuda, cuda:N or auto (core/runtime.h). Not part
  // of the identity, as the thread count is not: a study may be resumed on another device
  // (docs/GPU.md says how far a GPU's values agree with the CPU's).
  std::string device = "cpu";
  // The arithmetic of the attribution passes: float32, tf32 or bf16 (core/precision.h). Part of the
  // identity: unlike the device, it changes the maps by more than rounding.
  std::string precision = "float32";

  // Throws InputError for unknown checks or options, a check given twice, an unknown target, or a
  // check the configuration cannot run (data without a permuted model).
  void validate() const;
  // The checks' specs resolved against the registry (every option filled in).
  std::vector<Spec> resolved_checks() const;
  // The options that define the run's identity (methods and checks are work units, not identity:
  // adding a method to a finished study computes only that method). Every registered check adds its
  // options, as given in `checks` or by default.
  nlohmann::json identity() const;
  nlohmann::json to_json() const;
};

}  // namespace sanity
