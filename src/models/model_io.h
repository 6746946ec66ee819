#pragma once
// Loading and saving models: ONNX files (import and export) and the built-in architectures.
#include <string>

#include "models/graph.h"

namespace sanity {

// Imports an ONNX model. Throws InputError for a missing, truncated or malformed file (naming the
// file and the field) and UnsupportedError naming the node and operator outside the supported set.
Graph load_onnx(const std::string& path);
// The same from a serialized ModelProto in memory; `name` names it in errors.
Graph load_onnx_bytes(const std::string& bytes, const std::string& name);

// Exports a graph as ONNX (opset 13), with Graph::metadata as metadata_props, so that a model trained
// here opens in other tools. Throws if the graph holds a layer ONNX cannot express.
void save_onnx(const Graph& graph, const std::string& path);

// An .onnx path, or "cnn" / "mlp" for an untrained built-in architecture (MNIST shape, given seed),
// on `device`, its weights checked finite there.
Graph load_model(const std::string& spec, uint64_t seed = 0, torch::Device device = torch::kCPU);

// The ONNX operators load_onnx supports, for error messages and documentation.
const std::vector<std::string>& supported_onnx_operators();

}  // namespace sanity
