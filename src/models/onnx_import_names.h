#pragma once
// Inside the ONNX importer: how PyTorch's exporters name values, read where initializers become
// constants (onnx_import.cpp) and where a constant becomes a graph node (onnx_import_constants.cpp).
#include <string>

namespace sanity::onnx_import {

// PyTorch names parameters and named values by their module path ("encoder.pos_embedding",
// "class_token"); what the exporter made itself is "onnx::..." or "/scope/Op_output_0".
inline bool exporter_made(const std::string& name) {
  return name.empty() || name[0] == '/' || name.rfind("onnx::", 0) == 0;
}

}  // namespace sanity::onnx_import
