#include "api/explain.h"

#include <chrono>

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
    AttributionContext ctx{model, r.batch_size, r.seed, ids, &out.diagnostics};
    if (r.fit) r.fit->apply(ctx);
    const auto start = std::chrono::steady_clock::now();
    out.maps = methods[i]->attribute(ctx, x, run.targets.to(model.device())).to(torch::kCPU, torch::kFloat32);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    require_finite_maps(out.maps, methods[i]->spec().str(), ids);
    sink(out);
  }
  return run;
}

}  // namespace sanity::api
