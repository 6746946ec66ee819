#pragma once
// Explanations of a whole test bed in batches, with the image ids that make noise-based methods
// independent of batching.
//
// One batch plan for every path (docs/DETERMINISM.md). A row's bits out of a matrix product depend on
// the other rows beside it: BLAS kernels treat a row differently by its place in a tile and by how
// many rows there are (bench/gemm_rows.py shows it for OpenBLAS's Haswell, SkylakeX and Cooperlake
// kernels). So an image's map is defined by the calls that compute it: the method called on the chunk
// of images_per_call(method, batch_size) consecutive images it falls in, and nothing else. explain_all
// and explain_together make the same calls, whatever else runs beside them.
#include "attribution/method.h"
#include "core/precision.h"

namespace sanity {

struct ExplainOptions {
  int64_t batch_size = 256;  // images per call of the method (methods batch their own samples too)
  uint64_t seed = 0;
  const Dataset* fit_data = nullptr;  // training images for methods that fit on data (PatternNet)
  std::string cache_dir;              // where such methods find what they fitted (AttributionContext)
  bool save_fitted = true;            // and whether they save it there
  // Of the attribution passes (core/precision.h); the maps are float32 whatever it is. The targets
  // and everything after the maps are computed in float32.
  Precision precision = Precision::kFloat32;
};

// method.attribute at a precision (core/precision.h), the maps float32 whatever it is. Every
// attribution pass goes through here: explain_all's and explain_together's calls, sMPRT's noisy copies.
Tensor attribute_at(Precision precision, const Method& method, const AttributionContext& ctx, const Tensor& x,
                    const Tensor& targets);

// Images per call of the method: as many as fill one pass of batch_size rows of
// method.rows_per_image() each, at least one.
int64_t images_per_call(const Method& method, int64_t batch_size);

// E(x) for every image: [N, C, H, W] on the model's device. `targets` [N] int64; `ids` [N] int64 image ids.
Tensor explain_all(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                   const Tensor& ids, const ExplainOptions& options,
                   std::map<std::string, Tensor>* diagnostics = nullptr);

// explain_all for several models of the same images, targets[k] for models[k]: each chunk of images
// goes through every model before the next chunk, so that models sharing their lowest layer objects
// share those layers' forward values (models/activation_reuse.h: parameter randomization's stages and
// the trained model). The calls are explain_all's, so the maps are explain_all's bit for bit.
std::vector<Tensor> explain_together(const Method& method, const std::vector<const Graph*>& models,
                                     const Tensor& images, const std::vector<Tensor>& targets, const Tensor& ids,
                                     const ExplainOptions& options);

}  // namespace sanity
