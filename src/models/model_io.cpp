#include "models/model_io.h"

#include "core/error.h"
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

}  // namespace

Graph load_model(const std::string& spec, uint64_t seed) {
  if (spec == "cnn" || spec == "mlp" || spec == "vit") return build_builtin(spec, seed);
  if (spec.size() < 5 || spec.substr(spec.size() - 5) != ".onnx")
    throw InputError("--model " + spec + ": expected an .onnx file, or cnn / mlp / vit");
  Graph g = load_onnx(spec);
  require_finite_parameters(g, spec);
  return g;
}

}  // namespace sanity
