#include "models/model_io.h"

#include "core/error.h"
#include "models/builtin.h"

namespace sanity {

Graph load_model(const std::string& spec, uint64_t seed) {
  if (spec == "cnn" || spec == "mlp") return build_builtin(spec, seed);
  if (spec.size() < 5 || spec.substr(spec.size() - 5) != ".onnx")
    throw InputError("--model " + spec + ": expected an .onnx file, or cnn / mlp");
  return load_onnx(spec);
}

}  // namespace sanity
