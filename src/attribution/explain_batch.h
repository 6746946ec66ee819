#pragma once
// Explanations of a whole test bed in batches, with the image ids that make noise-based methods
// independent of batching.
#include "attribution/method.h"

namespace sanity {

struct ExplainOptions {
  int64_t batch_size = 256;  // images per call of the method (methods batch their own samples too)
  uint64_t seed = 0;
  const Dataset* fit_data = nullptr;  // training images for methods that fit on data (PatternNet)
  std::string cache_dir;              // where such methods find what they fitted (AttributionContext)
  bool save_fitted = true;            // and whether they save it there
};

// E(x) for every image: [N, C, H, W] on the CPU. `targets` [N] int64; `ids` [N] int64 image ids.
Tensor explain_all(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                   const Tensor& ids, const ExplainOptions& options,
                   std::map<std::string, Tensor>* diagnostics = nullptr);

// explain_all for several models of the same images, targets[k] for models[k]: each chunk of images
// goes through every model before the next chunk, and a chunk is about one pass (batch_size rows of
// method.rows_per_image() each), so that models sharing their lowest layer objects share those layers'
// forward values (models/activation_reuse.h: parameter randomization's stages and the trained model).
// Every method explains each image on its own, so the maps are explain_all's, model by model.
std::vector<Tensor> explain_together(const Method& method, const std::vector<const Graph*>& models,
                                     const Tensor& images, const std::vector<Tensor>& targets, const Tensor& ids,
                                     const ExplainOptions& options);

}  // namespace sanity
