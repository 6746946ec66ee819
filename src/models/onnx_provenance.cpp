// onnx_provenance.h: module paths and folded BatchNorms, from names and node metadata.
#include "models/onnx_provenance.h"

#include <google/protobuf/unknown_field_set.h>

namespace sanity::onnx_import {

std::string parameter_module(const std::string& name) {
  const auto dot = name.rfind(".weight");
  return dot != std::string::npos && dot + 7 == name.size() ? name.substr(0, dot) : std::string();
}

// A node's metadata entry `key` (NodeProto.metadata_props, field 9 since ONNX 1.16; the ONNX library
// we build against predates it and keeps the field among the message's unknown fields).
std::optional<std::string> node_metadata(const onnx::NodeProto& n, const std::string& key) {
  constexpr int kMetadataProps = 9;
  const auto& unknown = n.unknown_fields();
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& f = unknown.field(i);
    if (f.number() != kMetadataProps || f.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    onnx::StringStringEntryProto entry;
    if (entry.ParseFromString(f.length_delimited()) && entry.key() == key) return entry.value();
  }
  return std::nullopt;
}

// The module a node of torch's dynamo exporter comes from: its metadata lists the scopes it was traced
// in, ['', 'layer1', 'layer1.0', 'layer1.0.bn1', '<op>'], the module path last before the op's own
// name. Node names there are the exporter's own ("node_Conv_296"). Empty when there is none.
std::string scoped_path(const onnx::NodeProto& n) {
  const auto v = node_metadata(n, "pkg.torch.onnx.name_scopes");
  if (!v) return {};
  std::vector<std::string> scopes;
  for (size_t open = v->find('\''); open != std::string::npos; open = v->find('\'', open + 1)) {
    const size_t close = v->find('\'', open + 1);
    if (close == std::string::npos) break;
    scopes.push_back(v->substr(open + 1, close - open - 1));
    open = close;
  }
  return scopes.size() >= 2 ? scopes[scopes.size() - 2] : std::string();
}

// Convs that arrive with a BatchNorm folded into them by the exporter: the dynamo exporter marks them
// (its FuseBatchNormIntoConv rewrite); the TorchScript exporter's constant folding renames their
// weights (onnx::Conv_N instead of layer1.0.conv1.weight). Their weights are not the model's:
// randomizing one re-draws the BatchNorm's scale with it, and no BatchNorm is left to reset. Empty
// when there are none.
std::string folded_batchnorm_note(const std::vector<onnx::NodeProto>& nodes) {
  int convs = 0, folded = 0;
  for (const auto& n : nodes) {
    if (n.op_type() != "Conv") continue;
    ++convs;
    const auto rule = node_metadata(n, "pkg.onnxscript.rewriter.rule_name");
    if ((rule && rule->find("FuseBatchNormIntoConv") != std::string::npos) ||
        (n.input_size() > 1 && n.input(1).rfind("onnx::Conv_", 0) == 0))
      ++folded;
  }
  if (folded == 0) return {};
  return std::to_string(folded) + " of " + std::to_string(convs) +
         " convs hold a BatchNorm the exporter folded into them: randomizing such a conv re-draws the "
         "BatchNorm's scale with it and no BatchNorm is a stage of its own. For BatchNorms kept, export with "
         "dynamo=False, training=TrainingMode.PRESERVE, do_constant_folding=False (as sanity.explain does for a "
         "module)";
}

}  // namespace sanity::onnx_import
