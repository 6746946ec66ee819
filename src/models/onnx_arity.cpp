#include "models/onnx_arity.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <climits>

namespace sanity::onnx_import {
namespace {

std::string count_range(int low, int high) {
  if (low == high) return std::to_string(low);
  return std::to_string(low) + (high == INT_MAX ? " or more" : " to " + std::to_string(high));
}

std::string counted(int n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

// The newest opset of the default domain the installed ONNX library describes (Debian 12's: 17).
int known_opset() {
  const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  const auto it = map.find(onnx::ONNX_DOMAIN);
  return it == map.end() ? 0 : it->second.second;
}

}  // namespace

std::string arity_problem(const onnx::NodeProto& n, int64_t opset) {
  const int in = n.input_size(), out = n.output_size();
  const int version = static_cast<int>(std::min<int64_t>(opset, INT_MAX));
  // A file newer than the library: its operator may have gained optional inputs since (ReduceMean-18
  // takes axes as an input), so only the newest known version's minimum counts hold.
  const bool newer = version > known_opset();
  if (const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(n.op_type(), version, onnx::ONNX_DOMAIN)) {
    const std::string op = "ONNX's " + n.op_type() + " (since opset " + std::to_string(s->SinceVersion()) + ")";
    const int max_in = newer ? INT_MAX : s->max_input(), max_out = newer ? INT_MAX : s->max_output();
    if (in < s->min_input() || in > max_in)
      return "has " + counted(in, "input") + "; " + op + " takes " + count_range(s->min_input(), max_in);
    if (out < s->min_output() || out > max_out)
      return "has " + counted(out, "output") + "; " + op + " gives " + count_range(s->min_output(), max_out);
    return "";
  }
  if (in < 1 && n.op_type() != "Constant") return "has no inputs";
  if (out < 1) return "has no outputs";
  return "";
}

}  // namespace sanity::onnx_import
