// ONNX export (opset 13): every layer kind maps to one standard operator, parameters become
// initializers named "<node>.<param>", so the model opens in onnxruntime, Netron or PyTorch tools.
#include <onnx/onnx_pb.h>

#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "models/layers.h"
#include "models/model_io.h"

namespace sanity {
namespace {

class Exporter {
 public:
  explicit Exporter(const Graph& g) : g_(g) {}

  onnx::ModelProto run() {
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.set_producer_name("sanity");
    m.set_producer_version(SANITY_VERSION);
    auto* opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    for (const auto& [k, v] : g_.metadata) {
      auto* p = m.add_metadata_props();
      p->set_key(k);
      p->set_value(v);
    }
    graph_ = m.mutable_graph();
    graph_->set_name("sanity");
    add_value_info(graph_->add_input(), g_.input_spec().name, g_.input_spec().shape);
    for (int k = 1; k < g_.size(); ++k) export_node(k);
    auto* out = graph_->add_output();
    out->set_name(value_name(g_.output()));
    auto* tt = out->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    return m;
  }

 private:
  std::string value_name(int k) const { return k == 0 ? g_.input_spec().name : g_.node(k).name; }

  void add_value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& chw) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    shape->add_dim()->set_dim_param("N");
    for (auto d : chw) {
      if (d > 0) shape->add_dim()->set_dim_value(d);
      else shape->add_dim()->set_dim_param("?");
    }
  }

  std::string initializer(const std::string& name, const Tensor& t) {
    auto* p = graph_->add_initializer();
    p->set_name(name);
    Tensor c = t.detach().to(torch::kCPU).contiguous();
    for (auto d : c.sizes()) p->add_dims(d);
    if (c.scalar_type() == torch::kInt64) {
      p->set_data_type(onnx::TensorProto::INT64);
    } else {
      c = c.to(torch::kFloat32);
      p->set_data_type(onnx::TensorProto::FLOAT);
    }
    p->set_raw_data(std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()));
    return name;
  }

  onnx::NodeProto* node(int k, const char* op, std::vector<std::string> extra_inputs = {}) {
    auto* n = graph_->add_node();
    n->set_name(g_.node(k).name);
    n->set_op_type(op);
    for (int i : g_.node(k).inputs) n->add_input(value_name(i));
    for (auto& s : extra_inputs) n->add_input(s);
    n->add_output(value_name(k));
    return n;
  }

  static void ints(onnx::NodeProto* n, const char* key, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void integer(onnx::NodeProto* n, const char* key, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void real(onnx::NodeProto* n, const char* key, double v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(static_cast<float>(v));
  }
  static std::vector<int64_t> pads(const Pads2d& p) { return {p.top, p.left, p.bottom, p.right}; }

  // Layers with parameters or attributes, one function each; export_node dispatches.
  void conv(int k, const Conv2d& c) {
    const std::string& name = g_.node(k).name;
    std::vector<std::string> in{initializer(name + ".weight", c.weight())};
    if (c.bias().defined()) in.push_back(initializer(name + ".bias", c.bias()));
    auto* n = node(k, "Conv", in);
    ints(n, "kernel_shape", {c.weight().size(2), c.weight().size(3)});
    ints(n, "strides", c.stride);
    ints(n, "pads", pads(c.pads));
    ints(n, "dilations", c.dilation);
    integer(n, "group", c.groups);
  }
  void linear(int k, const Linear& c) {
    const std::string& name = g_.node(k).name;
    std::vector<std::string> in{initializer(name + ".weight", c.weight())};
    if (c.bias().defined()) in.push_back(initializer(name + ".bias", c.bias()));
    integer(node(k, "Gemm", in), "transB", 1);
  }
  void batch_norm(int k, const BatchNorm& b) {
    std::vector<std::string> in;
    for (const auto& p : b.params()) in.push_back(initializer(g_.node(k).name + "." + p.name, p.value));
    auto* n = node(k, "BatchNormalization", in);
    real(n, "epsilon", b.eps);
    real(n, "momentum", 1.0 - b.momentum);
  }
  void clip(int k, const Clip& c) {
    const std::string& name = g_.node(k).name;
    std::vector<std::string> in{
        c.lo ? initializer(name + ".min", torch::tensor(static_cast<float>(*c.lo))) : std::string(),
        c.hi ? initializer(name + ".max", torch::tensor(static_cast<float>(*c.hi))) : std::string()};
    if (!c.hi) in.pop_back();
    node(k, "Clip", in);
  }
  void max_pool(int k, const MaxPool2d& p) {
    auto* n = node(k, "MaxPool");
    ints(n, "kernel_shape", p.kernel);
    ints(n, "strides", p.stride);
    ints(n, "pads", pads(p.pads));
    ints(n, "dilations", p.dilation);
    integer(n, "ceil_mode", p.ceil_mode);
  }
  void avg_pool(int k, const AvgPool2d& p) {
    auto* n = node(k, "AveragePool");
    ints(n, "kernel_shape", p.kernel);
    ints(n, "strides", p.stride);
    ints(n, "pads", pads(p.pads));
    integer(n, "ceil_mode", p.ceil_mode);
    integer(n, "count_include_pad", p.count_include_pad);
  }
  void reshape(int k, const Reshape& r) {
    std::vector<int64_t> shape = r.shape;
    if (r.batch_first && !shape.empty()) shape[0] = 0;  // 0 copies the runtime batch size
    node(k, "Reshape", {initializer(g_.node(k).name + ".shape", torch::tensor(shape, torch::kInt64))});
  }
  void pad(int k, const Pad& p) {
    const std::string& name = g_.node(k).name;
    node(k, "Pad", {initializer(name + ".pads", torch::tensor(p.pads, torch::kInt64)),
                    initializer(name + ".value", torch::tensor(static_cast<float>(p.value)))});
  }
  void const_arith(int k, const ConstArith& c) {
    const Node& nd = g_.node(k);
    const char* ops[] = {"Add", "Sub", "Mul", "Div"};
    auto* n = graph_->add_node();
    n->set_name(nd.name);
    n->set_op_type(ops[static_cast<int>(c.op)]);
    const std::string constant = initializer(nd.name + ".constant", c.constant);
    const std::string x = value_name(nd.inputs.at(0));
    n->add_input(c.constant_first ? constant : x);
    n->add_input(c.constant_first ? x : constant);
    n->add_output(value_name(k));
  }
  void reduce_mean(int k, const ReduceMean& r) {
    auto* n = node(k, "ReduceMean");
    if (!r.axes.empty()) ints(n, "axes", r.axes);
    integer(n, "keepdims", r.keepdims);
  }

  void export_node(int k) {
    const Layer& l = *g_.node(k).layer;
    switch (l.kind()) {
      case LayerKind::Input: return;
      case LayerKind::Conv: return conv(k, static_cast<const Conv2d&>(l));
      case LayerKind::Linear: return linear(k, static_cast<const Linear&>(l));
      case LayerKind::BatchNorm: return batch_norm(k, static_cast<const BatchNorm&>(l));
      case LayerKind::ReLU: node(k, "Relu"); return;
      case LayerKind::LeakyReLU: real(node(k, "LeakyRelu"), "alpha", static_cast<const LeakyReLU&>(l).alpha); return;
      case LayerKind::Sigmoid: node(k, "Sigmoid"); return;
      case LayerKind::Tanh: node(k, "Tanh"); return;
      case LayerKind::Clip: return clip(k, static_cast<const Clip&>(l));
      case LayerKind::MaxPool: return max_pool(k, static_cast<const MaxPool2d&>(l));
      case LayerKind::AvgPool: return avg_pool(k, static_cast<const AvgPool2d&>(l));
      case LayerKind::GlobalAvgPool: node(k, "GlobalAveragePool"); return;
      case LayerKind::GlobalMaxPool: node(k, "GlobalMaxPool"); return;
      case LayerKind::Flatten: integer(node(k, "Flatten"), "axis", static_cast<const Flatten&>(l).axis); return;
      case LayerKind::Reshape: return reshape(k, static_cast<const Reshape&>(l));
      case LayerKind::Transpose: ints(node(k, "Transpose"), "perm", static_cast<const Transpose&>(l).perm); return;
      case LayerKind::Pad: return pad(k, static_cast<const Pad&>(l));
      case LayerKind::Add: node(k, "Add"); return;
      case LayerKind::Mul: node(k, "Mul"); return;
      case LayerKind::Concat: integer(node(k, "Concat"), "axis", static_cast<const Concat&>(l).axis); return;
      case LayerKind::ConstArith: return const_arith(k, static_cast<const ConstArith&>(l));
      case LayerKind::ReduceMean: return reduce_mean(k, static_cast<const ReduceMean&>(l));
      case LayerKind::Softmax: integer(node(k, "Softmax"), "axis", static_cast<const Softmax&>(l).axis); return;
      case LayerKind::LogSoftmax: integer(node(k, "LogSoftmax"), "axis", static_cast<const LogSoftmax&>(l).axis); return;
      case LayerKind::Identity: node(k, "Identity"); return;
    }
    throw UnsupportedError("save_onnx: node '" + g_.node(k).name + "' of kind " + std::string(kind_name(l.kind())) +
                           " cannot be exported");
  }

  const Graph& g_;
  onnx::GraphProto* graph_ = nullptr;
};

}  // namespace

void save_onnx(const Graph& graph, const std::string& path) {
  onnx::ModelProto m = Exporter(graph).run();
  // Write to a temporary file and rename, so a killed process never leaves a truncated model behind.
  const std::string tmp = temporary_name(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !m.SerializeToOstream(&out)) throw InputError(path + ": cannot write model file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw InputError(path + ": cannot write model file");
}

}  // namespace sanity
