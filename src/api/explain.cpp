#include "api/explain.h"

#include <chrono>

#include "attribution/explain_batch.h"
#include "attribution/gradcam.h"
#include "core/progress.h"
#include "models/train.h"

namespace sanity::api {
namespace {

// The GradCAM layer a spec (or a method it wraps) reads, resolved on this model; "" if none.
std::string gradcam_layer_of(const Graph& g, const MethodSpec& spec, const Tensor& x) {
  if (spec.name == "gradcam" || spec.name == "guided_gradcam")
    return g.node(gradcam_layer(g, spec.get_string("layer", "auto"), x)).name;
  for (const auto& m : spec.methods)
    if (std::string l = gradcam_layer_of(g, m, x); !l.empty()) return l;
  return "";
}

}  // namespace

ExplainRun explain(const Graph& model, const Dataset& data, const Tensor& ids, const ExplainRequest& r,
                   const std::function<void(const MethodMaps&)>& sink) {
  const std::vector<MethodPtr> methods = make_methods(r.methods);
  model.check_input(data.images, r.data_name);
  const Tensor x = data.images.to(model.device());
  const Tensor logits = predict_logits(model, x, r.batch_size);
  require_finite_outputs(logits, r.data_name);
  ExplainRun run;
  run.predicted = logits.argmax(1).cpu();
  run.targets = r.target_classes.defined() ? checked_classes(r.target_classes, data.size(), logits.size(1))
                                           : choose_targets(r.target, data, run.predicted, logits.size(1));
  // GradCAM layers resolve on this model: a wrong name fails here, before any work.
  std::vector<std::string> cam_layers;
  for (const auto& m : methods) cam_layers.push_back(gradcam_layer_of(model, m->spec(), x));

  for (size_t i = 0; i < methods.size(); ++i) {
    interruption_point();
    MethodMaps out{r.methods[i], methods[i], {}, {}, 0, cam_layers[i]};
    // explain_all's batch plan: the maps are bit for bit those a study computes with this batch size.
    ExplainOptions o{r.batch_size, r.seed};
    o.precision = r.precision;
    if (r.fit) r.fit->apply(o);
    const auto start = std::chrono::steady_clock::now();
    out.maps = explain_all(*methods[i], model, data.images, run.targets, ids, o, &out.diagnostics)
                   .to(torch::kCPU, torch::kFloat32);  // one copy, to be written
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sink(out);
  }
  return run;
}

}  // namespace sanity::api
