#pragma once
// Explanations of a test bed by every method of a request, handed to a sink one method at a time
// (so a front end can write them, keep them, or show progress, without holding all of them).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/inputs.h"
#include "core/precision.h"
#include "models/graph.h"

namespace sanity::api {

struct ExplainRequest {
  std::vector<MethodSpec> methods;
  std::string target = "predicted";  // predicted, true, or a class index
  Tensor target_classes;             // [N] int64, one class per image: overrides `target` when defined
  int64_t batch_size = 64;           // most rows through the network at once
  uint64_t seed = 0;                 // noise-based methods draw from (seed, image id)
  const FitContext* fit = nullptr;   // training images and patterns folder for pattern methods
  std::string data_name = "the data";  // names the data in errors ("--data images/")
  Precision precision = Precision::kFloat32;  // of the attribution passes (core/precision.h)
};

// One method's result.
struct MethodMaps {
  MethodSpec given;        // as requested
  MethodPtr method;        // built: method->spec() is the canonical spec with every default
  Tensor maps;             // [N, C, H, W] float32 on the CPU, in input order
  std::map<std::string, Tensor> diagnostics;  // per image ("completeness_gap" of IG, ...)
  double seconds = 0;
  std::string gradcam_layer;  // the node GradCAM read (also when wrapped); "" if none
};

struct ExplainRun {
  Tensor predicted, targets;  // [N] int64 on the CPU
};

// Checks every method and GradCAM layer before any work, then explains `data` (on the model's
// device) with each method in turn and hands each result to `sink`.
ExplainRun explain(const Graph& model, const Dataset& data, const Tensor& ids, const ExplainRequest& request,
                   const std::function<void(const MethodMaps&)>& sink);

}  // namespace sanity::api
