#pragma once
// src/attribution: every attribution method behind one interface, their registry, LRP rules and
// composites, and the drivers they share.
//
// One interface for every attribution method: model, input batch and target classes in; a tensor of
// the input's shape out. Methods are built from a MethodSpec by the registry (registry.h).
#include <map>
#include <memory>
#include <string>

#include "core/spec.h"
#include "data/dataset.h"
#include "models/graph.h"

namespace sanity {

struct AttributionContext {
  const Graph& model;
  int64_t batch_size = 64;  // most inputs through the network at once (SmoothGrad samples, IG steps)
  uint64_t seed = 0;        // noise-based methods draw per image from (seed, image id)
  Tensor image_ids;         // [N] int64: ids of the images in x, so results do not depend on batching
  // Optional per-image diagnostics a method reports, [N] each ("completeness_gap" for IG, ...).
  std::map<std::string, Tensor>* diagnostics = nullptr;
  // Training images for methods that learn from data (PatternNet / PatternAttribution fit their
  // patterns on a subset); null when none is available.
  const Dataset* fit_data = nullptr;
  // Where such methods look for what they learned (beside the model file); empty: in memory only.
  std::string cache_dir;
  // Whether what they fit is also saved there. A study does not: it writes nothing beside the user's
  // models, and the patterns of each randomized model state would be as large as the model itself.
  bool save_fitted = true;
};

// What a map's sign means, which decides how faithfulness measures order it (faithfulness.h).
//   Relevance:   a signed contribution to the target score (LRP, gradient x input, IG, DeepLIFT,
//                GradCAM, PatternAttribution): negative values are evidence against the target.
//   Sensitivity: a direction in input space (gradient, Guided Backprop, Deconvnet, PatternNet,
//                RectGrad, Guided GradCAM): the sign says which way a pixel would move the score, not
//                whether it supports it, and importance is the magnitude (Simonyan et al.'s saliency
//                is |gradient|).
enum class MapKind { Relevance, Sensitivity };

class Method {
 public:
  virtual ~Method() = default;
  // The canonical spec with every default filled in: what results record.
  virtual MethodSpec spec() const = 0;
  // x: [N, C, H, W] on the model's device; targets: [N] int64 classes to explain.
  virtual Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const = 0;
  // False for baselines that ignore the model (sobel, noise, constant).
  virtual bool uses_model() const { return true; }
  virtual MapKind map_kind() const { return MapKind::Relevance; }
  // Methods with equal non-empty keys share one computation when they explain the same model and
  // images (SmoothGrad and VarGrad of one noise pass): a distributed run computes them in one process.
  virtual std::string shared_work() const { return ""; }
  // The most rows one image sends through the model in one pass (SmoothGrad: n times its inner
  // method's, IG: its steps): the batch plan (explain_batch.h: images_per_call) sizes the chunks of
  // images each call explains by it, to about one pass.
  virtual int64_t rows_per_image() const { return 1; }
};

using MethodPtr = std::shared_ptr<const Method>;

// InputError naming the method and the id of the first image whose map holds NaN or Inf: maps are
// checked before they are written or compared. `ids`: the images' ids (undefined: 0-based rows).
void require_finite_maps(const Tensor& maps, const std::string& method, const Tensor& ids = {});

// The argmax class of each input (the default target).
Tensor predicted_classes(const Graph& model, const Tensor& x, int64_t batch_size = 256);

}  // namespace sanity
