#pragma once
// What the commands share before any work: methods built from a spec list, the classes to explain,
// and the training images of methods that fit on data (PatternNet / PatternAttribution).
#include <string>
#include <vector>

#include "attribution/explain_batch.h"
#include "attribution/method.h"
#include "data/load.h"

namespace sanity::api {

// Parses and builds every method of a comma-separated list; InputError naming `option` when empty.
std::vector<MethodPtr> make_methods(const std::vector<MethodSpec>& specs, const std::string& option = "--methods");

// The classes to explain: "predicted" (the argmax), "true" (the labels) or a class index.
Tensor choose_targets(const std::string& how, const Dataset& data, const Tensor& predicted, int64_t classes);
// Classes given one per image (the Python module's targets=[...]): `classes` as int64 [images], each
// within the model's outputs; InputError naming `option` otherwise.
Tensor checked_classes(const Tensor& classes, int64_t images, int64_t outputs, const std::string& option = "targets");

// Image-folder preprocessing a front end was given: per-channel mean 0 and std 1 by default, with
// `imagenet` torchvision's ImageNet resize, crop, mean and std (an explicit resize or crop kept),
// then `mean` and `std` when not empty. InputError for a std that is not positive.
void apply_preprocess(DataOptions& options, bool imagenet, const std::vector<double>& mean, const std::vector<double>& std);

// Training images for methods that fit on data (pattern_net, pattern_attribution, also wrapped in
// smoothgrad / vargrad): `source` (default: the test data's train split when it is a built-in
// dataset), `count` of them. Fitted patterns are saved beside an .onnx model and reused from there.
struct FitSource {
  std::string data;
  int64_t count = 5000;
};
struct FitContext {
  Dataset data;           // empty when no method needs it or no source was given
  std::string cache_dir;  // the .onnx model's folder; empty for built-in models
  // Points an attribution context, or explain_all's options, at these images and folder.
  void apply(AttributionContext& ctx) const;
  void apply(ExplainOptions& options) const;
};
// Loads the fit images only when one of `specs` (at any depth) needs them.
FitContext load_fit_context(const FitSource& f, const DataOptions& data_options, const std::string& model,
                            const std::vector<MethodSpec>& specs);

}  // namespace sanity::api
