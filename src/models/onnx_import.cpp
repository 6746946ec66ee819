// ONNX import: ModelProto (libonnx-dev's protobuf classes) -> layer graph.
//
// A probe tensor (batch 1, the declared input size) runs through each layer as it is added. That
// resolves what ONNX leaves to shape inference (SAME padding, Squeeze/Unsqueeze targets) and turns a
// model that cannot run into an error naming the node at import time, not in the middle of a study.
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
#include "models/model_io.h"

namespace sanity {
namespace {

const std::vector<std::string> kSupported = {
    "Add",          "AveragePool",   "BatchNormalization", "Clip",       "Concat",  "Constant", "Conv",
    "Div",          "Dropout",       "Flatten",            "Gemm",       "GlobalAveragePool", "GlobalMaxPool",
    "Identity",     "LeakyRelu",     "LogSoftmax",         "MatMul",     "MaxPool", "Mul",      "Pad",
    "ReduceMean",   "Relu",          "Reshape",            "Sigmoid",    "Softmax", "Squeeze",  "Sub",
    "Tanh",         "Transpose",     "Unsqueeze"};

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
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

class Importer {
 public:
  // Takes the model by reference to free each initializer's bytes once it is a tensor: a 550 MB VGG-16
  // then peaks near its file size instead of holding the bytes twice.
  Importer(std::string path, onnx::ModelProto& model) : path_(std::move(path)), model_(model) {}

  Graph run() {
    check_opset();
    const auto& g = model_.graph();
    for (auto& init : *model_.mutable_graph()->mutable_initializer()) {
      constants_[init.name()] = to_tensor(init, "initializer '" + init.name() + "'");
      init.clear_raw_data();
      init.clear_float_data();
    }
    for (const auto& n : g.node())
      for (const auto& in : n.input()) ++uses_[in];
    for (const auto& o : g.output()) ++uses_[o.name()];
    add_input();
    for (int i = 0; i < g.node_size(); ++i) add_node(g.node(i), i);
    if (g.output_size() < 1) throw InputError(path_ + ": graph.output: the model declares no output");
    const std::string& out = g.output(0).name();
    auto it = values_.find(out);
    if (it == values_.end()) throw InputError(path_ + ": graph.output '" + out + "' is not produced by any node");
    graph_.set_output(it->second);
    for (const auto& p : model_.metadata_props()) graph_.metadata[p.key()] = p.value();
    graph_.metadata["source"] = std::filesystem::path(path_).filename().string();
    return std::move(graph_);
  }

 private:
  // ---- errors -------------------------------------------------------------------------------
  [[noreturn]] void bad(const onnx::NodeProto& n, const std::string& what) const {
    throw InputError(path_ + ": node '" + name_of(n) + "' (" + n.op_type() + "): " + what);
  }
  [[noreturn]] void unsupported(const onnx::NodeProto& n, const std::string& what) const {
    throw UnsupportedError(path_ + ": node '" + name_of(n) + "' (" + n.op_type() + "): " + what);
  }
  std::string name_of(const onnx::NodeProto& n) const { return n.name().empty() ? current_name_ : n.name(); }

  void check_opset() {
    int64_t version = -1;
    for (const auto& o : model_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") version = o.version();
    if (version < 0) throw InputError(path_ + ": opset_import: no entry for the default ONNX domain");
    if (version < 7 || version > 18)
      throw UnsupportedError(path_ + ": opset_import: opset " + std::to_string(version) +
                             " is outside the supported range 7 to 18");
    opset_ = version;
    if (!model_.has_graph()) throw InputError(path_ + ": graph: the model has no graph (truncated or not a model)");
  }

  // ---- tensors ------------------------------------------------------------------------------
  Tensor to_tensor(const onnx::TensorProto& t, const std::string& what) const {
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      throw UnsupportedError(path_ + ": " + what + ": tensor data is stored in an external file; save the model "
                                               "with all tensors inside the .onnx file");
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    int64_t n = 1;
    for (auto d : dims) n *= d;
    const std::string& raw = t.raw_data();
    auto from_raw = [&](at::ScalarType type, size_t elem) {
      if (raw.size() != static_cast<size_t>(n) * elem)
        throw InputError(path_ + ": " + what + ": raw_data holds " + std::to_string(raw.size()) + " bytes, shape " +
                         shape_str(dims) + " needs " + std::to_string(n * elem));
      Tensor r = torch::empty(dims, type);
      std::memcpy(r.data_ptr(), raw.data(), raw.size());
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
      default:
        throw UnsupportedError(path_ + ": " + what + ": tensor element type " + std::to_string(t.data_type()) +
                               " is not supported (float, double, int32 and int64 are)");
    }
  }

  // ---- attributes ---------------------------------------------------------------------------
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& key) const {
    for (const auto& a : n.attribute())
      if (a.name() == key) return &a;
    return nullptr;
  }
  int64_t attr_int(const onnx::NodeProto& n, const std::string& key, int64_t fallback) const {
    const auto* a = attr(n, key);
    return a ? a->i() : fallback;
  }
  double attr_float(const onnx::NodeProto& n, const std::string& key, double fallback) const {
    const auto* a = attr(n, key);
    return a ? a->f() : fallback;
  }
  std::string attr_string(const onnx::NodeProto& n, const std::string& key, const std::string& fallback) const {
    const auto* a = attr(n, key);
    return a ? a->s() : fallback;
  }
  std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) const {
    const auto* a = attr(n, key);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
  }

  // ---- values -------------------------------------------------------------------------------
  bool has_input(const onnx::NodeProto& n, int i) const { return n.input_size() > i && !n.input(i).empty(); }
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }
  const Tensor& constant(const onnx::NodeProto& n, int i, const char* role) const {
    if (!has_input(n, i)) bad(n, std::string("missing input ") + std::to_string(i) + " (" + role + ")");
    auto it = constants_.find(n.input(i));
    if (it == constants_.end())
      unsupported(n, std::string("input '") + n.input(i) + "' (" + role +
                         ") is computed at run time; sanity needs it to be an initializer or Constant");
    return it->second;
  }
  int value(const onnx::NodeProto& n, int i) const {
    if (!has_input(n, i)) bad(n, "missing input " + std::to_string(i));
    auto it = values_.find(n.input(i));
    if (it == values_.end()) {
      if (is_constant(n.input(i)))
        unsupported(n, "input '" + n.input(i) + "' is a constant where sanity expects a computed tensor");
      bad(n, "input '" + n.input(i) + "' is not produced by any earlier node, initializer or graph input");
    }
    return it->second;
  }
  std::vector<int64_t> ints_of(const Tensor& t) const {
    Tensor c = t.to(torch::kInt64).contiguous().view(-1);
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  }

  // ---- graph --------------------------------------------------------------------------------
  void add_input() {
    for (const auto& in : model_.graph().input()) {
      if (is_constant(in.name())) continue;  // older exporters list initializers as inputs
      const auto& type = in.type();
      if (!type.has_tensor_type())
        throw UnsupportedError(path_ + ": graph.input '" + in.name() + "': only tensor inputs are supported");
      const auto& dims = type.tensor_type().shape().dim();
      if (dims.size() != 4)
        throw UnsupportedError(path_ + ": graph.input '" + in.name() + "' has rank " + std::to_string(dims.size()) +
                               "; sanity explains image models with an [N, C, H, W] input");
      InputSpec spec;
      spec.name = in.name();
      for (int i = 1; i < 4; ++i) spec.shape.push_back(dims[i].has_dim_value() ? dims[i].dim_value() : -1);
      declared_batch_ = dims[0].has_dim_value() ? dims[0].dim_value() : -1;
      const int idx = graph_.add_input(spec);
      values_[in.name()] = idx;
      bool fixed = spec.shape[0] > 0 && spec.shape[1] > 0 && spec.shape[2] > 0;
      if (fixed) probes_[idx] = torch::zeros({1, spec.shape[0], spec.shape[1], spec.shape[2]});
      return;
    }
    throw InputError(path_ + ": graph.input: the model has no input that is not an initializer");
  }

  std::optional<Tensor> probe(int node) const {
    auto it = probes_.find(node);
    if (it == probes_.end()) return std::nullopt;
    return it->second;
  }

  // Adds a layer for node n with the given graph inputs and maps its first output to it.
  int emit(const onnx::NodeProto& n, std::unique_ptr<Layer> layer, std::vector<int> inputs) {
    std::string name = name_of(n);
    if (graph_.try_find(name)) name += "_" + std::to_string(graph_.size());
    Tensors in;
    bool all = true;
    for (int i : inputs) {
      auto p = probe(i);
      if (!p) all = false;
      else in.push_back(*p);
    }
    std::optional<Tensor> out;
    if (all) {
      try {
        torch::NoGradGuard ng;
        out = layer->forward(in, false);
      } catch (const c10::Error& e) {
        std::string msg = e.what_without_backtrace();
        msg = msg.substr(0, msg.find('\n'));
        std::vector<std::string> shapes;
        for (const auto& t : in) shapes.push_back(shape_str(t.sizes()));
        bad(n, "cannot run on inputs of shape " + join(shapes) + ": " + msg);
      }
    }
    const int idx = graph_.add(name, std::move(layer), std::move(inputs));
    if (out) probes_[idx] = *out;
    if (n.output_size() > 0) values_[n.output(0)] = idx;
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty() && uses_.count(n.output(i)))
        unsupported(n, "output " + std::to_string(i) + " ('" + n.output(i) + "') is used; only the first output is supported");
    // PyTorch module paths become aliases for --layer options: "/layer4/layer4.2/conv3/Conv" is also
    // "layer4.2.conv3", and a parameter prefix ("features.28" from "features.28.weight") too.
    if (const std::string path = module_path(name); !path.empty() && !graph_.try_find(path))
      graph_.add_alias(path, idx);
    if (n.input_size() > 1) {
      const std::string& w = n.input(1);
      const auto dot = w.rfind(".weight");
      if (dot != std::string::npos && dot + 7 == w.size() && !graph_.try_find(w.substr(0, dot)))
        graph_.add_alias(w.substr(0, dot), idx);
    }
    return idx;
  }

  // "/features/features.28/Conv" -> "features.28"; "" when the name is not a scope path.
  static std::string module_path(const std::string& name) {
    if (name.empty() || name[0] != '/') return {};
    std::vector<std::string> segs;
    size_t start = 1;
    for (size_t slash; (slash = name.find('/', start)) != std::string::npos; start = slash + 1)
      segs.push_back(name.substr(start, slash - start));
    std::string path;
    for (const auto& s : segs) {
      if (s.empty()) continue;
      if (path.empty() || s.rfind(path + ".", 0) == 0) path = s;
      else path += "." + s;
    }
    return path;
  }

  Pads2d pads2d(const onnx::NodeProto& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                const std::vector<int64_t>& dilation, int input_node) {
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

  std::vector<int64_t> spatial(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) {
    auto v = attr_ints(n, key, fallback);
    if (v.size() != 2) unsupported(n, key + " has " + std::to_string(v.size()) + " entries; only 2-D operators are supported");
    return v;
  }

  // Elementwise binary ops: a constant operand gives ConstArith; two computed operands give Add/Mul.
  void binary(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    const bool c0 = is_constant(n.input(0)), c1 = n.input_size() > 1 && is_constant(n.input(1));
    if (c0 && c1) {
      const Tensor &a = constants_.at(n.input(0)), &b = constants_.at(n.input(1));
      constants_[n.output(0)] = op == "Add" ? a + b : op == "Sub" ? a - b : op == "Mul" ? a * b : a / b;
      return;
    }
    if (c0 || c1) {
      const Tensor& c = constants_.at(n.input(c0 ? 0 : 1));
      const int x = value(n, c0 ? 1 : 0);
      // MatMul followed by Add of a vector: fold the vector into the Linear layer's bias.
      if (op == "Add" && c.dim() <= 2 && c.numel() > 1 && uses_[n.input(c0 ? 1 : 0)] == 1) {
        if (auto* lin = dynamic_cast<Linear*>(&graph_.layer(x)); lin && !lin->bias().defined() &&
                                                                 c.numel() == lin->weight().size(0) &&
                                                                 fused_matmul_.count(x)) {
          lin->params().push_back({"bias", c.reshape({-1}).to(torch::kFloat32).clone()});
          values_[n.output(0)] = x;
          if (probes_.count(x)) probes_[x] = probes_[x] + c.reshape({-1});
          return;
        }
      }
      ConstArith::Op o = op == "Add" ? ConstArith::Op::Add
                         : op == "Sub" ? ConstArith::Op::Sub
                         : op == "Mul" ? ConstArith::Op::Mul
                                       : ConstArith::Op::Div;
      emit(n, std::make_unique<ConstArith>(o, c.to(torch::kFloat32), c0), {x});
      return;
    }
    if (op == "Add") emit(n, std::make_unique<Add>(), {value(n, 0), value(n, 1)});
    else if (op == "Mul") emit(n, std::make_unique<Mul>(), {value(n, 0), value(n, 1)});
    else unsupported(n, op + " of two computed tensors is not supported (only with a constant operand)");
  }

  // A reshape-like node whose target is the probe's output shape, with a batch-size first entry.
  void reshape_to_probe(const onnx::NodeProto& n, const std::function<Tensor(const Tensor&)>& f) {
    const int x = value(n, 0);
    auto p = probe(x);
    if (!p) unsupported(n, "needs a fixed input height and width to resolve the output shape");
    Tensor out = f(*p);
    if (out.dim() == 0 || out.size(0) != 1) unsupported(n, "changes the batch dimension");
    std::vector<int64_t> shape(out.sizes().begin(), out.sizes().end());
    emit(n, std::make_unique<Reshape>(shape, true), {x});
  }

  void add_node(const onnx::NodeProto& n, int index) {
    const std::string& op = n.op_type();
    current_name_ = op + "_" + std::to_string(index);
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      unsupported(n, "operator domain '" + n.domain() + "' is not supported (only the default ONNX domain)");
    if (op == "Constant") {
      const auto* v = attr(n, "value");
      if (v) constants_[n.output(0)] = to_tensor(v->t(), "node '" + name_of(n) + "' (Constant) value");
      else if (const auto* f = attr(n, "value_float")) constants_[n.output(0)] = torch::tensor(f->f());
      else if (const auto* fs = attr(n, "value_floats"))
        constants_[n.output(0)] = torch::tensor(std::vector<float>(fs->floats().begin(), fs->floats().end()));
      else if (const auto* i = attr(n, "value_int")) constants_[n.output(0)] = torch::tensor(i->i(), torch::kInt64);
      else if (const auto* is = attr(n, "value_ints"))
        constants_[n.output(0)] = torch::tensor(std::vector<int64_t>(is->ints().begin(), is->ints().end()), torch::kInt64);
      else unsupported(n, "only tensor, float and int constants are supported");
      return;
    }
    if (op == "Identity" || op == "Dropout") {
      if (is_constant(n.input(0))) constants_[n.output(0)] = constants_.at(n.input(0));
      else values_[n.output(0)] = value(n, 0);
      return;
    }
    if (op == "Conv") {
      const Tensor& w = constant(n, 1, "weights");
      if (w.dim() != 4) unsupported(n, "weights of rank " + std::to_string(w.dim()) + "; only 2-D convolutions are supported");
      Tensor b = has_input(n, 2) ? constant(n, 2, "bias").to(torch::kFloat32) : Tensor();
      auto kernel = spatial(n, "kernel_shape", {w.size(2), w.size(3)});
      auto stride = spatial(n, "strides", {1, 1});
      auto dil = spatial(n, "dilations", {1, 1});
      const int x = value(n, 0);
      emit(n, std::make_unique<Conv2d>(w.to(torch::kFloat32), b, stride, pads2d(n, kernel, stride, dil, x), dil,
                                       attr_int(n, "group", 1)),
           {x});
      return;
    }
    if (op == "Gemm") {
      if (attr_int(n, "transA", 0)) unsupported(n, "transA=1 is not supported");
      Tensor w = constant(n, 1, "weights").to(torch::kFloat32);
      if (w.dim() != 2) bad(n, "weights must be a matrix, got shape " + shape_str(w.sizes()));
      if (!attr_int(n, "transB", 0)) w = w.t();
      if (const double alpha = attr_float(n, "alpha", 1.0); alpha != 1.0) w = w * alpha;
      w = w.contiguous();  // no copy for PyTorch's exports (transB=1, alpha=1)
      Tensor b;
      if (has_input(n, 2)) {
        b = constant(n, 2, "bias").to(torch::kFloat32).reshape({-1}) * attr_float(n, "beta", 1.0);
        if (b.numel() == 1) b = b.expand({w.size(0)}).clone();
        if (b.numel() != w.size(0)) bad(n, "bias has " + std::to_string(b.numel()) + " values for " + std::to_string(w.size(0)) + " outputs");
      }
      emit(n, std::make_unique<Linear>(w, b), {value(n, 0)});
      return;
    }
    if (op == "MatMul") {
      if (!is_constant(n.input(1))) unsupported(n, "MatMul of two computed tensors is not supported");
      Tensor w = constant(n, 1, "weights").to(torch::kFloat32);
      if (w.dim() != 2) unsupported(n, "weights of rank " + std::to_string(w.dim()) + "; only matrices are supported");
      const int idx = emit(n, std::make_unique<Linear>(w.t().contiguous(), Tensor()), {value(n, 0)});
      fused_matmul_.insert(idx);
      return;
    }
    if (op == "BatchNormalization") {
      if (attr_int(n, "training_mode", 0)) unsupported(n, "training_mode=1 is not supported");
      auto f = [&](int i, const char* r) { return constant(n, i, r).to(torch::kFloat32).reshape({-1}).clone(); };
      emit(n, std::make_unique<BatchNorm>(f(1, "scale"), f(2, "bias"), f(3, "mean"), f(4, "var"),
                                          attr_float(n, "epsilon", 1e-5), 1.0 - attr_float(n, "momentum", 0.9)),
           {value(n, 0)});
      return;
    }
    if (op == "Relu") return (void)emit(n, std::make_unique<ReLU>(), {value(n, 0)});
    if (op == "LeakyRelu") return (void)emit(n, std::make_unique<LeakyReLU>(attr_float(n, "alpha", 0.01)), {value(n, 0)});
    if (op == "Sigmoid") return (void)emit(n, std::make_unique<Sigmoid>(), {value(n, 0)});
    if (op == "Tanh") return (void)emit(n, std::make_unique<Tanh>(), {value(n, 0)});
    if (op == "Clip") {
      std::optional<double> lo, hi;
      if (opset_ < 11) {
        if (attr(n, "min")) lo = attr_float(n, "min", 0);
        if (attr(n, "max")) hi = attr_float(n, "max", 0);
      } else {
        if (has_input(n, 1)) lo = constant(n, 1, "min").item<double>();
        if (has_input(n, 2)) hi = constant(n, 2, "max").item<double>();
      }
      emit(n, std::make_unique<Clip>(lo, hi), {value(n, 0)});
      return;
    }
    if (op == "Softmax" || op == "LogSoftmax") {
      const int64_t axis = attr_int(n, "axis", opset_ < 13 ? 1 : -1);
      const int x = value(n, 0);
      if (opset_ < 13 && probe(x) && probe(x)->dim() != 2)
        unsupported(n, "opset < 13 softmax over an input of rank > 2 is not supported");
      if (op == "Softmax") emit(n, std::make_unique<Softmax>(axis), {x});
      else emit(n, std::make_unique<LogSoftmax>(axis), {x});
      return;
    }
    if (op == "MaxPool" || op == "AveragePool") {
      auto kernel = spatial(n, "kernel_shape", {});
      auto stride = spatial(n, "strides", {1, 1});
      auto dil = spatial(n, "dilations", {1, 1});
      const bool ceil = attr_int(n, "ceil_mode", 0) != 0;
      const int x = value(n, 0);
      const Pads2d pads = pads2d(n, kernel, stride, dil, x);
      if (op == "MaxPool") {
        if (attr_int(n, "storage_order", 0)) unsupported(n, "storage_order=1 is not supported");
        emit(n, std::make_unique<MaxPool2d>(kernel, stride, pads, dil, ceil), {x});
      } else {
        if (dil[0] != 1 || dil[1] != 1) unsupported(n, "dilated average pooling is not supported");
        const bool include = attr_int(n, "count_include_pad", 0) != 0;
        if (!pads.symmetric() && !include) unsupported(n, "asymmetric pads with count_include_pad=0 are not supported");
        emit(n, std::make_unique<AvgPool2d>(kernel, stride, pads, ceil, include), {x});
      }
      return;
    }
    if (op == "GlobalAveragePool") return (void)emit(n, std::make_unique<GlobalAvgPool>(), {value(n, 0)});
    if (op == "GlobalMaxPool") return (void)emit(n, std::make_unique<GlobalMaxPool>(), {value(n, 0)});
    if (op == "Flatten") return (void)emit(n, std::make_unique<Flatten>(attr_int(n, "axis", 1)), {value(n, 0)});
    if (op == "Reshape") {
      if (attr_int(n, "allowzero", 0)) unsupported(n, "allowzero=1 is not supported");
      std::vector<int64_t> shape = opset_ < 5 ? attr_ints(n, "shape", {}) : ints_of(constant(n, 1, "shape"));
      const bool batch_first = !shape.empty() && shape[0] > 0 && shape[0] == declared_batch_;
      emit(n, std::make_unique<Reshape>(shape, batch_first), {value(n, 0)});
      return;
    }
    if (op == "Squeeze" || op == "Unsqueeze") {
      std::vector<int64_t> axes = opset_ < 13 ? attr_ints(n, "axes", {})
                                  : has_input(n, 1) ? ints_of(constant(n, 1, "axes"))
                                                    : std::vector<int64_t>{};
      const bool squeeze = op == "Squeeze";
      reshape_to_probe(n, [axes, squeeze](const Tensor& t) {
        Tensor r = t;
        if (squeeze) {
          if (axes.empty()) {
            std::vector<int64_t> keep{t.size(0)};
            for (int64_t d = 1; d < t.dim(); ++d)
              if (t.size(d) != 1) keep.push_back(t.size(d));
            return t.reshape(keep);
          }
          std::vector<int64_t> sorted = axes;
          for (auto& a : sorted) a = a < 0 ? a + t.dim() : a;
          std::sort(sorted.rbegin(), sorted.rend());
          for (auto a : sorted) r = r.squeeze(a);
          return r;
        }
        std::vector<int64_t> sorted = axes;
        const int64_t rank = t.dim() + static_cast<int64_t>(axes.size());
        for (auto& a : sorted) a = a < 0 ? a + rank : a;
        std::sort(sorted.begin(), sorted.end());
        for (auto a : sorted) r = r.unsqueeze(a);
        return r;
      });
      return;
    }
    if (op == "Transpose") {
      auto perm = attr_ints(n, "perm", {});
      if (perm.empty() || perm[0] != 0) unsupported(n, "transposes that move the batch dimension are not supported");
      emit(n, std::make_unique<Transpose>(perm), {value(n, 0)});
      return;
    }
    if (op == "Concat") {
      std::vector<int> ins;
      for (int i = 0; i < n.input_size(); ++i) ins.push_back(value(n, i));
      emit(n, std::make_unique<Concat>(attr_int(n, "axis", 1)), ins);
      return;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return binary(n);
    if (op == "Pad") {
      const std::string mode = attr_string(n, "mode", "constant");
      if (mode != "constant") unsupported(n, "pad mode '" + mode + "' is not supported (only constant)");
      std::vector<int64_t> pads = opset_ < 11 ? attr_ints(n, "pads", {}) : ints_of(constant(n, 1, "pads"));
      double v = opset_ < 11 ? attr_float(n, "value", 0.0)
                 : has_input(n, 2) ? constant(n, 2, "constant_value").item<double>()
                                   : 0.0;
      if (pads.size() % 2) bad(n, "pads must have an even number of entries");
      const size_t r = pads.size() / 2;
      if (r >= 2 && (pads[0] || pads[1] || pads[r] || pads[r + 1])) unsupported(n, "padding the batch or channel dimension is not supported");
      emit(n, std::make_unique<Pad>(pads, v), {value(n, 0)});
      return;
    }
    if (op == "ReduceMean") {
      std::vector<int64_t> axes = opset_ < 18 ? attr_ints(n, "axes", {})
                                  : has_input(n, 1) ? ints_of(constant(n, 1, "axes"))
                                                    : std::vector<int64_t>{};
      emit(n, std::make_unique<ReduceMean>(axes, attr_int(n, "keepdims", 1) != 0), {value(n, 0)});
      return;
    }
    unsupported(n, "operator '" + op + "' is not supported; supported operators: " + join(kSupported));
  }

  std::string path_;
  onnx::ModelProto& model_;
  int64_t opset_ = 0, declared_batch_ = -1;
  Graph graph_;
  std::map<std::string, Tensor> constants_;
  std::map<std::string, int> values_;
  std::map<std::string, int> uses_;
  std::map<int, Tensor> probes_;
  std::set<int> fused_matmul_;
  std::string current_name_;
};

}  // namespace

const std::vector<std::string>& supported_onnx_operators() { return kSupported; }

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
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw InputError(path + ": graph: the model has no nodes (truncated or not an ONNX model)");
  return Importer(path, model).run();
}

}  // namespace sanity
