#pragma once
// src/faithfulness: pixel flipping, insertion/deletion and the method ranking (Binder et al. 2023).
//
// All faithfulness measures of one method's maps on one model, and their storage:
//   FaithfulnessResult r = evaluate_faithfulness(model, x, maps, method->map_kind(), targets, ids, options);
//   record_faithfulness(store, run, "gradient", r, ids);   // check 'pixel_flipping', stage -1
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attribution/method.h"
#include "faithfulness/insertion_deletion.h"
#include "faithfulness/pixel_flipping.h"

namespace sanity {

// The protocol: everything that changes the numbers, recorded with every result
// (docs/DEFINITIONS.md, "Faithfulness measures").
struct FaithfulnessOptions {
  PixelFlippingOptions pixel_flipping;
  InsertionDeletionOptions insertion_deletion;
  // What orders regions and pixels: "signed" (the map as it is, docs/DEFINITIONS.md's summed
  // attribution), "absolute" (|map|), or "auto": |map| for sensitivity maps (gradient, Guided Backprop, SmoothGrad
  // of them, ...: their sign is a direction, not evidence), the signed map for relevance maps (LRP,
  // IG, gradient x input, ...: negative relevance is evidence against the target). MapKind, method.h.
  std::string order = "auto";

  void validate() const;
  nlohmann::json to_json() const;
};

// The protocol's table (core/settings.h): "order" and the two measures' tables nested, as study.json
// records them; flags flat (--patch, --insertion-blur-sigma).
const Settings<FaithfulnessOptions>& faithfulness_settings();

struct FaithfulnessResult {
  PixelFlippingResult pixel_flipping;
  InsertionDeletionResult insertion_deletion;
};

// True when `order` ranks a map of this kind by |map|.
bool orders_by_magnitude(const FaithfulnessOptions& options, MapKind kind);

// attributions [N, C, H, W] of x's shape; kind: what their sign means (the method's map_kind()).
FaithfulnessResult evaluate_faithfulness(const Graph& model, const Tensor& x, const Tensor& attributions,
                                         MapKind kind, const Tensor& targets, const Tensor& ids, const FaithfulnessOptions& options,
                                         int64_t batch_size = 256, uint64_t seed = 0);

// The per-image scores ([N] float64) by measure name, in faithfulness_measures()' order: aopc_morf,
// aopc_lerf, aopc_gap, insertion_auc, deletion_auc. The one list that storage, CSV and means share.
std::vector<std::pair<std::string, Tensor>> per_image_scores(const FaithfulnessResult& r);

// The per-image curves ([N, steps]) by name: morf_prob, lerf_prob, morf_logit, lerf_logit,
// insertion_prob, deletion_prob (curves.csv's and the store's metric names).
std::vector<std::pair<std::string, Tensor>> named_curves(const FaithfulnessResult& r);

// Per-image means of the scores, by measure name.
std::map<std::string, double> mean_scores(const FaithfulnessResult& r);

}  // namespace sanity
