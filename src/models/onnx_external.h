#pragma once
// Tensors an ONNX file keeps in other files (external data: torch.onnx.export(dynamo=True) writes
// model.onnx.data beside model.onnx by default; any model over 2 GB must). Read into the model, so the
// importer sees every tensor inline.
#include <onnx/onnx_pb.h>

#include <string>

namespace sanity::onnx_import {

// Replaces every initializer stored externally by its bytes, read from the file its `location` names
// in the folder of `model_path` (offset and length as given, else the whole file). A location that is
// absolute, leaves that folder (".."), is missing or too short is InputError naming the initializer
// and the field.
void inline_external_data(onnx::ModelProto& model, const std::string& model_path);

}  // namespace sanity::onnx_import
