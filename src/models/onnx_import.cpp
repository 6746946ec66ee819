// ONNX import: ModelProto (libonnx-dev's protobuf classes) -> layer graph. Here the graph as a whole:
// its initializers, input and output, each node dispatched to its operator's handler (onnx_ops*.cpp),
// and the model read from a file or bytes. The importer's values are in onnx_import_constants.cpp,
// the nodes it adds to the graph in onnx_import_emit.cpp (onnx_importer.h).
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "models/layers.h"
#include "models/onnx_arity.h"
#include "models/onnx_external.h"
#include "models/model_io.h"
#include "models/onnx_import_names.h"
#include "models/onnx_importer.h"
#include "models/onnx_provenance.h"

namespace sanity::onnx_import {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  return o.str() + "]";
}

Graph Importer::run() {
  check_opset();
  const auto& g = model_.graph();
  for (auto& init : *model_.mutable_graph()->mutable_initializer()) {
    Constant c;
    c.value = to_tensor(init, "initializer '" + init.name() + "'");
    c.param = c.value.is_floating_point() && !exporter_made(init.name());
    c.source = init.name();
    constants_[init.name()] = std::move(c);
    init.clear_raw_data();
    init.clear_float_data();
  }
  const std::vector<onnx::NodeProto> nodes = fuse_patterns(g, constants_);
  for (const auto& n : nodes)
    for (const auto& in : n.input()) ++uses_[in];
  for (const auto& o : g.output()) ++uses_[o.name()];
  add_input();
  for (size_t i = 0; i < nodes.size(); ++i) add_node(nodes[i], static_cast<int>(i));
  if (g.output_size() < 1) throw InputError(path_ + ": graph.output: the model declares no output");
  if (g.output_size() > 1) {
    std::vector<std::string> names;
    for (const auto& o : g.output()) names.push_back("'" + o.name() + "'");
    throw UnsupportedError(path_ + ": graph.output: the model has " + std::to_string(g.output_size()) + " outputs (" +
                           join(names) + "); sanity explains one [N, classes] output: export the model with that "
                           "output alone");
  }
  const std::string& out = g.output(0).name();
  auto it = values_.find(out);
  if (it == values_.end()) {
    if (is_constant(out))
      throw UnsupportedError(path_ + ": graph.output '" + out + "' is a constant: the output does not depend on the input");
    throw InputError(path_ + ": graph.output '" + out + "' is not produced by any node");
  }
  if (const auto p = probe(it->second); p && p->dim() != 2)
    throw UnsupportedError(path_ + ": graph.output '" + out + "' has shape " + shape_str(p->sizes()) +
                           " for one image; sanity explains classifiers whose output is [N, classes]");
  graph_.set_output(it->second);
  for (const auto& p : model_.metadata_props()) graph_.metadata[p.key()] = p.value();
  graph_.metadata["source"] = std::filesystem::path(path_).filename().string();
  if (const std::string note = folded_batchnorm_note(nodes); !note.empty()) graph_.metadata["batchnorm_folded"] = note;
  return std::move(graph_);
}

void Importer::bad(const onnx::NodeProto& n, const std::string& what) const {
  throw InputError(path_ + ": node '" + name_of(n) + "' (" + n.op_type() + "): " + what);
}
void Importer::unsupported(const onnx::NodeProto& n, const std::string& what) const {
  throw UnsupportedError(path_ + ": node '" + name_of(n) + "' (" + n.op_type() + "): " + what);
}

void Importer::check_opset() {
  int64_t version = -1;
  for (const auto& o : model_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") version = o.version();
  if (version < 0) throw InputError(path_ + ": opset_import: no entry for the default ONNX domain");
  // Opsets 19 and 20 (torch 2.11's default) changed no operator the importer reads, apart from forms it
  // already refuses (AveragePool dilations, Pad's wrap mode); they added types and operators.
  if (version < 7 || version > 20)
    throw UnsupportedError(path_ + ": opset_import: opset " + std::to_string(version) +
                           " is outside the supported range 7 to 20");
  opset_ = version;
  if (!model_.has_graph()) throw InputError(path_ + ": graph: the model has no graph (truncated or not a model)");
}

void Importer::add_input() {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : model_.graph().input())
    if (!is_constant(in.name())) inputs.push_back(&in);  // older exporters list initializers as inputs
  if (inputs.empty()) throw InputError(path_ + ": graph.input: the model has no input that is not an initializer");
  if (inputs.size() > 1) {
    std::vector<std::string> names;
    for (const auto* in : inputs) names.push_back("'" + in->name() + "'");
    throw UnsupportedError(path_ + ": graph.input: the model has " + std::to_string(inputs.size()) + " inputs (" +
                           join(names) + "); sanity explains models with one image input [N, C, H, W]");
  }
  const auto& in = *inputs[0];
  const auto& type = in.type();
  if (!type.has_tensor_type())
    throw UnsupportedError(path_ + ": graph.input '" + in.name() + "': only tensor inputs are supported");
  const int elem = type.tensor_type().elem_type();
  if (elem != onnx::TensorProto::FLOAT && elem != onnx::TensorProto::DOUBLE && elem != onnx::TensorProto::UNDEFINED)
    throw UnsupportedError(path_ + ": graph.input '" + in.name() + "' holds " +
                           onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem)) +
                           " values; sanity explains models of real-valued images (FLOAT)");
  const auto& dims = type.tensor_type().shape().dim();
  for (int i = 0; i < dims.size(); ++i)
    if (dims[i].has_dim_value() && dims[i].dim_value() < (i == 0 ? 0 : 1))
      throw InputError(path_ + ": graph.input '" + in.name() + "' dimension " + std::to_string(i) + " is " +
                       std::to_string(dims[i].dim_value()) + "; expected a positive size or a symbolic one");
  if (dims.size() != 4)
    throw UnsupportedError(path_ + ": graph.input '" + in.name() + "' has rank " + std::to_string(dims.size()) +
                           "; sanity explains image models with an [N, C, H, W] input");
  InputSpec spec;
  spec.name = in.name();
  for (int i = 1; i < 4; ++i) spec.shape.push_back(dims[i].has_dim_value() ? dims[i].dim_value() : -1);
  declared_batch_ = dims[0].has_dim_value() ? dims[0].dim_value() : -1;
  const int idx = graph_.add_input(spec);
  values_[in.name()] = idx;
  const bool fixed = spec.shape[0] > 0 && spec.shape[1] > 0 && spec.shape[2] > 0;
  int64_t values = 1;
  const bool huge = fixed && (__builtin_mul_overflow(spec.shape[0], spec.shape[1], &values) ||
                              __builtin_mul_overflow(values, spec.shape[2], &values) || values > (int64_t{1} << 28));
  if (huge)
    throw UnsupportedError(path_ + ": graph.input '" + in.name() + "' declares " + shape_str(spec.shape) +
                           " per image, over 2^28 values: not an image model this machine can explain");
  if (fixed)
    for (int p = 0; p < 2; ++p) probes_[p][idx] = torch::zeros({kProbeBatch[p], spec.shape[0], spec.shape[1], spec.shape[2]});
}

std::optional<Tensor> Importer::probe(int node, int which) const {
  auto it = probes_[which].find(node);
  if (it == probes_[which].end()) return std::nullopt;
  return it->second;
}

int Importer::uses(const std::string& name) const {
  const auto it = uses_.find(name);
  return it == uses_.end() ? 0 : it->second;
}

void Importer::add_node(const onnx::NodeProto& n, int index) {
  const std::string& op = n.op_type();
  current_name_ = op + "_" + std::to_string(index);
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    unsupported(n, "operator domain '" + n.domain() + "' is not supported (only the default ONNX domain)");
  const auto& table = operator_table();
  const auto it = table.find(op);
  if (it == table.end())
    unsupported(n, "operator '" + op + "' is not supported; supported operators: " + join(supported_onnx_operators()));
  if (const std::string problem = arity_problem(n, opset_); !problem.empty()) bad(n, problem);
  // A handler meets whatever the file says: a LibTorch or library error on the way (an axis out of
  // range, a shape that cannot be) is this node's error, one line, not an internal one.
  try {
    it->second(*this, n);
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    bad(n, msg.substr(0, msg.find('\n')));
  } catch (const std::out_of_range& e) {
    bad(n, std::string("an index is out of range (") + e.what() + ")");
  } catch (const std::length_error& e) {
    bad(n, std::string("a size is out of range (") + e.what() + ")");
  }
}

}  // namespace sanity::onnx_import

namespace sanity {

const std::vector<std::string>& supported_onnx_operators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, handler] : onnx_import::operator_table()) v.push_back(name);
    return v;
  }();
  return names;
}

namespace {

Graph import_model(onnx::ModelProto& model, const std::string& path) {
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw InputError(path + ": graph: the model has no nodes (truncated or not an ONNX model)");
  return onnx_import::Importer(path, model).run();
}

}  // namespace

Graph load_onnx(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": model file not found");
  if (std::filesystem::is_directory(path)) throw InputError(path + ": is a directory, expected an .onnx file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open model file");
  google::protobuf::io::IstreamInputStream zin(&in);
  google::protobuf::io::CodedInputStream coded(&zin);
  coded.SetTotalBytesLimit(INT_MAX);
  onnx::ModelProto model;
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    throw InputError(path + ": not a valid ONNX model: the protobuf does not parse (truncated or corrupt file)");
  onnx_import::inline_external_data(model, path);
  return import_model(model, path);
}

Graph load_onnx_bytes(const std::string& bytes, const std::string& name) {
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream coded(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  coded.SetTotalBytesLimit(INT_MAX);
  if (bytes.size() > static_cast<size_t>(INT_MAX) || !model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    throw InputError(name + ": not a valid ONNX model: the protobuf does not parse (truncated or corrupt bytes)");
  return import_model(model, name);
}

}  // namespace sanity
