#pragma once
// What an ONNX file says about where its nodes come from: the PyTorch module of a node (from its
// weight's name or the dynamo exporter's name scopes) and the BatchNorms its exporter folded away.
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

namespace sanity::onnx_import {

// The module a weight belongs to: "features.28" for "features.28.weight"; empty for other names.
std::string parameter_module(const std::string& name);

// A node's metadata entry `key` (NodeProto.metadata_props), if it has one.
std::optional<std::string> node_metadata(const onnx::NodeProto& n, const std::string& key);

// The module a node of torch's dynamo exporter was traced in ("layer1.0.bn1"); empty when unknown.
std::string scoped_path(const onnx::NodeProto& n);

// One line on the convs that hold a BatchNorm folded in by the exporter; empty when there are none.
std::string folded_batchnorm_note(const std::vector<onnx::NodeProto>& nodes);

}  // namespace sanity::onnx_import
