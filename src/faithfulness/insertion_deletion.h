#pragma once
// Insertion and deletion curves (Petsiuk et al. 2018, RISE): pixels in attribution order (summed over
// channels, most relevant first). Deletion starts from the image and replaces pixels_per_step pixels
// per step with the deletion baseline; insertion starts from the insertion baseline (a blurred copy)
// and puts the image's pixels back in the same order. Curves are the target's softmax probability;
// their areas (curves.h, x axis = fraction of pixels) are the scores: high insertion and low
// deletion area mean a faithful ordering. `attributions` is the ordering map, signed: pass |map| to
// order by magnitude (faithfulness.h chooses).
#include <nlohmann/json.hpp>

#include <string>

#include "core/settings.h"
#include "faithfulness/perturbation.h"

namespace sanity {

struct InsertionDeletionOptions {
  int64_t pixels_per_step = 0;              // 0: the image width (Petsiuk et al.: 224 on 224 x 224)
  std::string deletion_baseline = "zero";   // what deleted pixels become (RISE: zeros)
  std::string insertion_baseline = "blur";  // where insertion starts (RISE: Gaussian blur, sigma 5)
  double blur_sigma = 5;                    // Gaussian sigma in pixels for a blur baseline

  void validate() const;  // InputError naming the option
  nlohmann::json to_json() const;
};

// The options' table (core/settings.h); blur_sigma's flag is insertion_blur_sigma.
const Settings<InsertionDeletionOptions>& insertion_deletion_settings();

struct InsertionDeletionResult {
  Tensor insertion, deletion;                  // [N, K+1] float64 probabilities; column 0: no pixel moved
  Tensor insertion_logit, deletion_logit;      // [N, K+1] the target logit along the same paths
  Tensor insertion_auc, deletion_auc;          // [N]
};

InsertionDeletionResult insertion_deletion(const Graph& model, const Tensor& x, const Tensor& attributions,
                                           const Tensor& targets, const Tensor& ids,
                                           const InsertionDeletionOptions& options, int64_t batch_size = 256,
                                           uint64_t seed = 0);

}  // namespace sanity
