#pragma once
// How many inputs and outputs an ONNX node may have: the importer's handlers read a node's inputs and
// outputs by position, so a node with too few (a damaged or hostile file) is refused first.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace sanity::onnx_import {

// "" when node n's input and output counts fit its operator at `opset` (ONNX's own schema where the
// installed ONNX knows the operator: the exact range up to the newest opset it knows, the minimum
// beyond; else at least one output, and one input but for Constant); else what is wrong.
std::string arity_problem(const onnx::NodeProto& n, int64_t opset);

}  // namespace sanity::onnx_import
