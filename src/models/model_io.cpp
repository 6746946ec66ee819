#include "models/model_io.h"


#include "core/error.h"
#include "core/runtime.h"
#include "models/builtin.h"

namespace sanity {

namespace {

// Weights that are NaN or Inf make every explanation NaN: refuse the model, naming the tensor.
void require_finite_parameters(const Graph& g, const std::string& path) {
  for (const auto& n : g.nodes())
    for (const auto& p : n.layer->params())
      if (p.value.defined() && p.value.is_floating_point() && !torch::isfinite(p.value).all().item<bool>())
        throw InputError(path + ": parameter '" + p.name + "' of node '" + n.name +
                         "' holds NaN or Inf values (expected finite weights)");
}

// The model as read from its file (or built) on the host.
Graph read_model(const std::string& spec, uint64_t seed) {
  SANITY_HOST_PHASE("read model");
  if (spec == "cnn" || spec == "mlp" || spec == "vit") return build_builtin(spec, seed);
  if (spec.size() < 5 || spec.substr(spec.size() - 5) != ".onnx")
    throw InputError("--model " + spec + ": expected an .onnx file, or cnn / mlp / vit");
  return load_onnx(spec);
}

}  // namespace

Graph load_model(const std::string& spec, uint64_t seed, torch::Device device) {
  Graph g = read_model(spec, seed);
  g.to(device);
  require_finite_parameters(g, spec);  // where the weights will be used
  return g;
}

}  // namespace sanity
