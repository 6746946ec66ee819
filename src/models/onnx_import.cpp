// ONNX import: ModelProto (libonnx-dev's protobuf classes) -> layer graph. The importer's helpers are
// here; each operator's handler is in onnx_ops.cpp (onnx_importer.h).
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

namespace {

// PyTorch's export scopes name each module by its attribute, and an nn.Sequential's element by the
// Sequential's name and index: "/features/features.7/features.7.0/block/block.0/Conv" is the module
// features.7.0.block.0. A segment that extends the last part ("block" -> "block.0") replaces it.
std::string module_path(const std::string& name) {
  if (name.empty() || name[0] != '/') return {};
  std::vector<std::string> segs;
  size_t start = 1;
  for (size_t slash; (slash = name.find('/', start)) != std::string::npos; start = slash + 1)
    segs.push_back(name.substr(start, slash - start));
  std::vector<std::string> parts;
  for (const auto& s : segs) {
    if (s.empty()) continue;
    if (!parts.empty() && s.rfind(parts.back() + ".", 0) == 0) parts.back() = s;
    else parts.push_back(s);
  }
  std::string path;
  for (const auto& p : parts) path += (path.empty() ? "" : ".") + p;
  return path;
}

// PyTorch names parameters and named values by their module path ("encoder.pos_embedding",
// "class_token"); what the exporter made itself is "onnx::..." or "/scope/Op_output_0".
bool exporter_made(const std::string& name) {
  return name.empty() || name[0] == '/' || name.rfind("onnx::", 0) == 0;
}

}  // namespace

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

Tensor Importer::to_tensor(const onnx::TensorProto& t, const std::string& what) const {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw UnsupportedError(path_ + ": " + what + ": tensor data is stored in an external file, which a model "
                                             "given as bytes cannot reach; load it from its file, or save it with "
                                             "every tensor inside (external_data=False)");
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  // The product of the non-zero dims is bounded too: LibTorch's stride computation multiplies them
  // even when another dim is 0, and an overflow there is a std::terminate (found by fuzz_onnx).
  int64_t n = 1, nonzero = 1;
  for (auto d : dims)
    if (d < 0 || __builtin_mul_overflow(nonzero, std::max<int64_t>(d, 1), &nonzero) || nonzero > (int64_t{1} << 40))
      throw InputError(path_ + ": " + what + ": dims " + shape_str(dims) + " are negative or impossibly large");
  for (auto d : dims) n *= d;
  const std::string& raw = t.raw_data();
  auto from_raw = [&](at::ScalarType type, size_t elem) {
    if (raw.size() != static_cast<size_t>(n) * elem)
      throw InputError(path_ + ": " + what + ": raw_data holds " + std::to_string(raw.size()) + " bytes, shape " +
                       shape_str(dims) + " needs " + std::to_string(n * elem));
    Tensor r = torch::empty(dims, type);
    if (!raw.empty()) std::memcpy(r.data_ptr(), raw.data(), raw.size());  // empty tensor: no buffer
    return r;
  };
  auto check_count = [&](int64_t count) {
    if (count != n)
      throw InputError(path_ + ": " + what + ": holds " + std::to_string(count) + " values, shape " +
                       shape_str(dims) + " needs " + std::to_string(n));
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) return from_raw(torch::kFloat32, 4);
      check_count(t.float_data_size());
      return torch::tensor(std::vector<float>(t.float_data().begin(), t.float_data().end())).reshape(dims);
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty()) return from_raw(torch::kFloat64, 8).to(torch::kFloat32);
      check_count(t.double_data_size());
      return torch::tensor(std::vector<double>(t.double_data().begin(), t.double_data().end()))
          .reshape(dims)
          .to(torch::kFloat32);
    case onnx::TensorProto::INT64:
      if (!raw.empty()) return from_raw(torch::kInt64, 8);
      check_count(t.int64_data_size());
      return torch::tensor(std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end()), torch::kInt64)
          .reshape(dims);
    case onnx::TensorProto::INT32:
      if (!raw.empty()) return from_raw(torch::kInt32, 4).to(torch::kInt64);
      check_count(t.int32_data_size());
      return torch::tensor(std::vector<int32_t>(t.int32_data().begin(), t.int32_data().end()), torch::kInt32)
          .reshape(dims)
          .to(torch::kInt64);
    case onnx::TensorProto::BOOL:
      if (!raw.empty()) return from_raw(torch::kBool, 1);
      check_count(t.int32_data_size());
      return torch::tensor(std::vector<int32_t>(t.int32_data().begin(), t.int32_data().end()), torch::kInt32)
          .reshape(dims)
          .to(torch::kBool);
    default:
      throw UnsupportedError(path_ + ": " + what + ": tensor element type " + std::to_string(t.data_type()) +
                             " is not supported (float, double, int32, int64 and bool are)");
  }
}

const onnx::AttributeProto* Importer::attr(const onnx::NodeProto& n, const std::string& key) const {
  for (const auto& a : n.attribute())
    if (a.name() == key) return &a;
  return nullptr;
}
int64_t Importer::attr_int(const onnx::NodeProto& n, const std::string& key, int64_t fallback) const {
  const auto* a = attr(n, key);
  return a ? a->i() : fallback;
}
double Importer::attr_float(const onnx::NodeProto& n, const std::string& key, double fallback) const {
  const auto* a = attr(n, key);
  return a ? a->f() : fallback;
}
std::string Importer::attr_string(const onnx::NodeProto& n, const std::string& key, const std::string& fallback) const {
  const auto* a = attr(n, key);
  return a ? a->s() : fallback;
}
std::vector<int64_t> Importer::attr_ints(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) const {
  const auto* a = attr(n, key);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

bool Importer::all_constant(const onnx::NodeProto& n) const {
  for (int i = 0; i < n.input_size(); ++i)
    if (!n.input(i).empty() && !is_constant(n.input(i))) return false;
  return true;
}

const Constant& Importer::folded(const onnx::NodeProto& n, int i, const char* role) const {
  if (!has_input(n, i)) bad(n, std::string("missing input ") + std::to_string(i) + " (" + role + ")");
  auto it = constants_.find(n.input(i));
  if (it == constants_.end())
    unsupported(n, std::string("input '") + n.input(i) + "' (" + role +
                       ") is computed from the image at run time; sanity needs it to be a constant or to follow "
                       "from the input's shape");
  return it->second;
}

const Tensor& Importer::constant(const onnx::NodeProto& n, int i, const char* role) const {
  const Constant& c = folded(n, i, role);
  if (c.batch_dependent())
    unsupported(n, std::string("input '") + n.input(i) + "' (" + role + ") depends on the batch size");
  return c.value;
}

std::vector<BatchAffine> Importer::batch_ints(const onnx::NodeProto& n, int i, const char* role) const {
  const Constant& c = folded(n, i, role);
  const std::vector<int64_t> a = ints_of(c.at(0)), b = ints_of(c.at(1));
  if (a.size() != b.size()) unsupported(n, std::string(role) + ": its length depends on the batch size");
  const int64_t step = kProbeBatch[1] - kProbeBatch[0];
  std::vector<BatchAffine> out;
  for (size_t k = 0; k < a.size(); ++k) {
    if ((b[k] - a[k]) % step != 0) unsupported(n, std::string(role) + ": an entry is not affine in the batch size");
    const int64_t factor = (b[k] - a[k]) / step;
    out.push_back({factor, a[k] - factor * kProbeBatch[0]});
  }
  return out;
}

int Importer::value(const onnx::NodeProto& n, int i) {
  if (!has_input(n, i)) bad(n, "missing input " + std::to_string(i));
  auto it = values_.find(n.input(i));
  if (it != values_.end()) return it->second;
  if (is_constant(n.input(i))) return materialize(n, n.input(i));
  bad(n, "input '" + n.input(i) + "' is not produced by any earlier node, initializer or graph input");
}

int Importer::materialize(const onnx::NodeProto& n, const std::string& name) {
  const Constant& c = constants_.at(name);
  if (!c.value.is_floating_point())
    unsupported(n, "input '" + name + "' is an integer constant where sanity expects a computed tensor");
  // The value at batch size 1 broadcast to the shape at N: entries that grow with N are the batch.
  Tensor base = c.value.to(torch::kFloat32);
  std::vector<int64_t> factor(base.dim(), 0), offset(base.sizes().begin(), base.sizes().end());
  if (c.batch_dependent()) {
    const Tensor& two = c.second;
    if (two.dim() != base.dim()) unsupported(n, "input '" + name + "': its rank depends on the batch size");
    for (int64_t d = 0; d < base.dim(); ++d)
      if (two.size(d) != base.size(d)) {
        if (base.size(d) != kProbeBatch[0] || two.size(d) != kProbeBatch[1])
          unsupported(n, "input '" + name + "': a dimension grows with the batch size other than as the batch");
        base = base.narrow(d, 0, 1);
        factor[d] = 1;
        offset[d] = 0;
      }
    if (!two.to(torch::kFloat32).equal(base.expand(two.sizes())))
      unsupported(n, "input '" + name + "' differs between the images of a batch");
  }
  const std::string pname = c.source.empty() ? "value" : c.source;
  auto layer = std::make_unique<ParamExpand>(pname, base.contiguous().clone(), factor, offset);
  layer->params()[0].trainable = c.param;
  // Named by the value where the exporter named it ("class_token"), else by its parameter.
  onnx::NodeProto synthetic;
  synthetic.set_name(!exporter_made(name) || c.source.empty() ? name : c.source);
  synthetic.set_op_type("Constant");
  synthetic.add_input(graph_.node(0).name);
  synthetic.add_output(name);
  const int idx = emit(synthetic, std::move(layer), {0});
  values_[name] = idx;
  return idx;
}

void Importer::fold(const onnx::NodeProto& n, const std::function<Tensors(const Tensors&)>& f) {
  bool dependent = false;
  int params = 0;
  std::string source;  // the one parameter this value derives from, if one: a class token expanded
  for (int i = 0; i < n.input_size(); ++i)
    if (!n.input(i).empty()) {
      if (!is_constant(n.input(i)))
        unsupported(n, "input '" + n.input(i) + "' is computed from the image where sanity folds this node");
      const Constant& c = constants_.at(n.input(i));
      dependent = dependent || c.batch_dependent();
      if (c.param) {
        ++params;
        source = c.source;
      }
    }
  const bool param = params > 0;
  auto inputs = [&](int probe) {
    Tensors in;
    for (int i = 0; i < n.input_size(); ++i) in.push_back(n.input(i).empty() ? Tensor() : constants_.at(n.input(i)).at(probe));
    return in;
  };
  const Tensors first = f(inputs(0));
  const Tensors second = dependent ? f(inputs(1)) : Tensors();
  for (int k = 0; k < n.output_size() && k < static_cast<int>(first.size()); ++k) {
    if (n.output(k).empty()) continue;
    Constant c;
    c.value = first[k];
    c.param = param && first[k].is_floating_point();
    if (c.param && params == 1) c.source = source;
    if (dependent && !(second[k].sizes() == first[k].sizes() && second[k].equal(first[k]))) c.second = second[k];
    constants_[n.output(k)] = std::move(c);
  }
}

std::vector<int64_t> Importer::ints_of(const Tensor& t) const {
  Tensor c = t.to(torch::kInt64).contiguous().view(-1);
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
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

namespace {

// Where a node comes from in the PyTorch model, read once per node: the module of its weight
// ("features.28" for "features.28.weight") and the module torch's dynamo exporter traced it in.
struct NodeOrigin {
  std::string weight, scoped;
  explicit NodeOrigin(const onnx::NodeProto& n)
      : weight(n.input_size() > 1 ? parameter_module(n.input(1)) : std::string()), scoped(scoped_path(n)) {}
};

}  // namespace

std::string Importer::unique_node_name(const onnx::NodeProto& n, const std::string& weight, const std::string& scoped,
                                       int output) const {
  std::string name = name_of(n);
  // torch's dynamo exporter names nodes by operator and counter ("node_Conv_296"); such a node takes
  // its module's name instead ("layer1.0.conv1/Conv"), so that stages and --layers read like the model.
  if (!scoped.empty() && name.rfind('/', 0) != 0) name = (weight.empty() ? scoped : weight) + "/" + n.op_type();
  if (output > 0) name += "_" + std::to_string(output);
  if (graph_.try_find(name)) name += "_" + std::to_string(graph_.size());
  return name;
}

std::optional<Tensor> Importer::run_on_probe(const onnx::NodeProto& n, const Layer& layer, const std::vector<int>& inputs,
                                             int which) const {
  Tensors in;
  for (int i : inputs) {
    auto t = probe(i, which);
    if (!t) return std::nullopt;
    in.push_back(*t);
  }
  try {
    torch::NoGradGuard ng;
    return layer.forward(in, false);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    msg = msg.substr(0, msg.find('\n'));
    std::vector<std::string> shapes;
    for (const auto& t : in) shapes.push_back(shape_str(t.sizes()));
    bad(n, "cannot run on inputs of shape " + join(shapes) + ": " + msg);
  }
}

// PyTorch module paths become aliases for --layer options: "/layer4/layer4.2/conv3/Conv" is also
// "layer4.2.conv3", and a parameter prefix ("features.28" from "features.28.weight") too.
void Importer::record_module_path(int idx, const onnx::NodeProto& n, const std::string& name,
                                  const std::string& weight, const std::string& scoped) {
  const auto alias = [&](const std::string& a) {
    if (!graph_.try_find(a)) graph_.add_alias(a, idx);
  };
  if (const std::string path = module_path(name); !path.empty()) {
    graph_.set_path(idx, path);
    alias(path);
  }
  if (!weight.empty()) {
    alias(weight);
    if (graph_.path(idx).empty()) graph_.set_path(idx, weight);
  }
  if (graph_.path(idx).empty() && !scoped.empty()) {
    graph_.set_path(idx, scoped);
    alias(scoped);
  }
  if (graph_.path(idx).empty() && n.op_type() == "Constant" && !n.name().empty() && n.name()[0] != '/')
    graph_.set_path(idx, n.name());  // a parameter made a node: "class_token"
}

int Importer::emit(const onnx::NodeProto& n, std::unique_ptr<Layer> layer, std::vector<int> inputs, int output) {
  const NodeOrigin origin(n);
  const std::string name = unique_node_name(n, origin.weight, origin.scoped, output);
  const std::optional<Tensor> out[2] = {run_on_probe(n, *layer, inputs, 0), run_on_probe(n, *layer, inputs, 1)};
  const int idx = graph_.add(name, std::move(layer), std::move(inputs));
  for (int p = 0; p < 2; ++p)
    if (out[p]) probes_[p][idx] = *out[p];
  if (n.output_size() > output) values_[n.output(output)] = idx;
  if (output == 0)
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty() && uses_.count(n.output(i)) && n.op_type() != "Split")
        unsupported(n, "output " + std::to_string(i) + " ('" + n.output(i) + "') is used; only the first output is supported");
  record_module_path(idx, n, name, origin.weight, origin.scoped);
  return idx;
}

void Importer::emit_or_fold(const onnx::NodeProto& n, std::unique_ptr<Layer> layer) {
  if (is_constant(n.input(0))) {
    const Layer& l = *layer;
    fold(n, [&l](const Tensors& in) { return Tensors{l.forward({in.at(0)}, false)}; });
    return;
  }
  const int x = value(n, 0);
  emit(n, std::move(layer), {x});
}

void Importer::reshape_to_probe(const onnx::NodeProto& n, const std::function<Tensor(const Tensor&)>& f) {
  if (is_constant(n.input(0))) {
    fold(n, [&f](const Tensors& in) { return Tensors{f(in.at(0))}; });
    return;
  }
  const int x = value(n, 0);
  const auto p0 = probe(x, 0), p1 = probe(x, 1);
  if (!p0 || !p1) unsupported(n, "needs a fixed input height and width to resolve the output shape");
  // The output at both probe batch sizes: the one entry that differs follows the batch. At position 0
  // it is the batch dimension itself; elsewhere (a sequence-first attention moves the batch to
  // position 1 or 2) the layer infers it (-1) from the input's size.
  const Tensor a = f(*p0), b = f(*p1);
  if (a.dim() == 0 || a.dim() != b.dim()) unsupported(n, "changes the batch dimension");
  std::vector<int64_t> shape(a.sizes().begin(), a.sizes().end());
  int batch_at = -1;
  for (int64_t i = 0; i < a.dim(); ++i) {
    if (a.size(i) == b.size(i)) continue;
    if (batch_at >= 0 || a.size(i) * kProbeBatch[1] != b.size(i) * kProbeBatch[0])  // not factor * N
      unsupported(n, "changes the batch dimension");
    batch_at = static_cast<int>(i);
  }
  if (batch_at < 0) unsupported(n, "changes the batch dimension");
  const bool batch_first = batch_at == 0 && a.size(0) == p0->size(0) && b.size(0) == p1->size(0);
  if (!batch_first) shape[batch_at] = -1;
  emit(n, std::make_unique<Reshape>(shape, batch_first), {x});
}

namespace {

// A window (Conv, MaxPool, AveragePool) must fit its padded input, with pads of image size: a hostile
// file's pads of 100,000 would otherwise reach LibTorch's allocator (1.4 TB) and a kernel larger than
// the image its shape checks, each with LibTorch's text.
void check_window(const Importer& im, const onnx::NodeProto& n, const std::vector<int64_t>& kernel,
                  const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation, const Pads2d& p,
                  int input_node) {
  constexpr int64_t kMaxPad = 8192;
  for (int64_t v : {p.top, p.left, p.bottom, p.right})
    if (v < 0 || v > kMaxPad)
      im.bad(n, "pads of " + std::to_string(v) + " pixels; expected 0 to " + std::to_string(kMaxPad));
  for (int d = 0; d < 2; ++d)
    if (kernel.at(d) < 1 || stride.at(d) < 1 || dilation.at(d) < 1)
      im.bad(n, "kernel_shape, strides and dilations must be at least 1");
  const auto in = im.probe(input_node);
  if (!in || in->dim() != 4) return;
  for (int d = 0; d < 2; ++d) {
    const int64_t padded = in->size(2 + d) + (d == 0 ? p.top + p.bottom : p.left + p.right);
    const int64_t extent = dilation[d] * (kernel[d] - 1) + 1;
    if (extent > padded)
      im.bad(n, "its " + std::to_string(extent) + "-pixel window does not fit the input's " + (d == 0 ? "height" : "width") +
                    " of " + std::to_string(padded) + " pixels (padding included)");
  }
}

}  // namespace

Pads2d Importer::pads2d(const onnx::NodeProto& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                        const std::vector<int64_t>& dilation, int input_node) {
  const Pads2d p = pads_as_given(n, kernel, stride, dilation, input_node);
  check_window(*this, n, kernel, stride, dilation, p, input_node);
  return p;
}

Pads2d Importer::pads_as_given(const onnx::NodeProto& n, const std::vector<int64_t>& kernel,
                               const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation,
                               int input_node) {
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    auto p = attr_ints(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4) unsupported(n, "pads has " + std::to_string(p.size()) + " entries; only 2-D (4 entries) is supported");
    return {p[0], p[1], p[2], p[3]};
  }
  if (auto_pad == "VALID") return {};
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") bad(n, "auto_pad '" + auto_pad + "' is not valid");
  auto in = probe(input_node);
  if (!in) unsupported(n, "auto_pad " + auto_pad + " needs a fixed input height and width");
  Pads2d p;
  int64_t total[2];
  for (int d = 0; d < 2; ++d) {
    const int64_t size = in->size(2 + d), out = (size + stride[d] - 1) / stride[d];
    total[d] = std::max<int64_t>(0, (out - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1 - size);
  }
  const bool upper = auto_pad == "SAME_UPPER";
  p.top = upper ? total[0] / 2 : total[0] - total[0] / 2;
  p.bottom = total[0] - p.top;
  p.left = upper ? total[1] / 2 : total[1] - total[1] / 2;
  p.right = total[1] - p.left;
  return p;
}

std::vector<int64_t> Importer::spatial(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) {
  auto v = attr_ints(n, key, fallback);
  if (v.size() != 2) unsupported(n, key + " has " + std::to_string(v.size()) + " entries; only 2-D operators are supported");
  return v;
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
