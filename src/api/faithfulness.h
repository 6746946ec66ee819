#pragma once
// Faithfulness of every method's maps on one model and test bed: pixel flipping (MoRF/LeRF curves,
// AOPC) and insertion/deletion (faithfulness/), handed to a sink one method at a time, then the
// method ranking (Binder et al. 2023).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/inputs.h"
#include "faithfulness/faithfulness.h"
#include "faithfulness/ranking.h"
#include "core/precision.h"
#include "models/graph.h"

namespace sanity::api {

struct FaithfulnessRequest {
  std::vector<MethodSpec> methods;
  FaithfulnessOptions options;
  int64_t batch_size = 256;
  uint64_t seed = 0;
  const FitContext* fit = nullptr;
  std::string data_name = "the data";
  Precision precision = Precision::kFloat32;  // of the attribution passes; the perturbed passes are float32
};

struct MethodFaithfulness {
  std::string spec;  // canonical
  MapKind kind = MapKind::Relevance;
  bool by_magnitude = false;  // regions ordered by |map| (options.order and kind)
  FaithfulnessResult result;
  std::map<std::string, double> means;  // mean over images per measure (faithfulness_measures())
  double seconds = 0;
  Tensor targets;  // [N] the classes explained and perturbed (the model's predictions)
};

struct FaithfulnessRun {
  Tensor targets;  // [N] the predicted classes, explained and perturbed
  RankingTable ranking;
};

FaithfulnessRun faithfulness(const Graph& model, const Tensor& images, const Tensor& ids, const FaithfulnessRequest& request,
                             const std::function<void(const MethodFaithfulness&)>& sink);

}  // namespace sanity::api
