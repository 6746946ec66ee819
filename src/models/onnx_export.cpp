// ONNX export: every layer kind maps to standard operators (opset 13; 17 for models with the layers of
// transformers, for LayerNormalization), parameters become initializers named "<node>.<param>", so the
// model opens in onnxruntime, Netron or PyTorch tools. GELU is written as its erf formula, which the
// importer fuses back (onnx_fuse.cpp).
#include <onnx/onnx_pb.h>

#include <cmath>
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
    opset->set_version(opset_version());
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
  // 18 for Resize (its axes attribute); 17 where a layer needs it (LayerNormalization, HardSwish);
  // 13 otherwise, as before.
  int opset_version() const {
    int v = 13;
    for (const auto& n : g_.nodes()) {
      if (n.layer->kind() == LayerKind::Resize) return 18;
      if (static_cast<int>(n.layer->kind()) >= static_cast<int>(LayerKind::Sub)) v = 17;
    }
    return v;
  }

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
  static void text(onnx::NodeProto* n, const char* key, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
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
    const char* ops[] = {"Add", "Sub", "Mul", "Div", "Pow"};
    auto* n = graph_->add_node();
    n->set_name(nd.name);
    n->set_op_type(ops[static_cast<int>(c.op)]);
    const std::string constant = initializer(nd.name + ".constant", c.constant());
    const std::string x = value_name(nd.inputs.at(0));
    n->add_input(c.constant_first ? constant : x);
    n->add_input(c.constant_first ? x : constant);
    n->add_output(value_name(k));
  }
  // A helper node of the exported form of one layer: "<node>/<suffix>", output of the same name.
  std::string helper(int k, const char* op, const std::string& suffix, std::vector<std::string> inputs) {
    auto* n = graph_->add_node();
    n->set_name(g_.node(k).name + "/" + suffix);
    n->set_op_type(op);
    for (auto& i : inputs) n->add_input(i);
    n->add_output(n->name());
    return n->name();
  }
  std::string ints_init(int k, const std::string& suffix, const std::vector<int64_t>& v) {
    return initializer(g_.node(k).name + "." + suffix, torch::tensor(v, torch::kInt64));
  }
  std::string scalar_init(int k, const std::string& suffix, float v) {
    return initializer(g_.node(k).name + "." + suffix, torch::tensor(v));
  }
  void layer_norm(int k, const LayerNorm& l) {
    std::vector<std::string> in{initializer(g_.node(k).name + ".weight", l.weight())};
    if (l.bias().defined()) in.push_back(initializer(g_.node(k).name + ".bias", l.bias()));
    auto* n = node(k, "LayerNormalization", in);
    integer(n, "axis", l.axis);
    real(n, "epsilon", l.eps);
  }
  // x * (Erf(x / sqrt 2) + 1) * 0.5, as PyTorch exports F.gelu below opset 20.
  void gelu(int k) {
    const std::string x = value_name(g_.node(k).inputs.at(0));
    const std::string d = helper(k, "Div", "Div", {x, scalar_init(k, "sqrt2", std::sqrt(2.0f))});
    const std::string e = helper(k, "Erf", "Erf", {d});
    const std::string a = helper(k, "Add", "Add", {e, scalar_init(k, "one", 1.0f)});
    const std::string m = helper(k, "Mul", "Mul", {x, a});
    auto* n = graph_->add_node();
    n->set_name(g_.node(k).name);
    n->set_op_type("Mul");
    n->add_input(m);
    n->add_input(scalar_init(k, "half", 0.5f));
    n->add_output(value_name(k));
  }
  // The parameter broadcast to [factor * N + offset]: N from the input's shape.
  void param_expand(int k, const ParamExpand& p) {
    const std::string value = initializer(g_.node(k).name + "." + p.params()[0].name, p.params()[0].value);
    const std::string shape = helper(k, "Shape", "Shape", {g_.input_spec().name});
    const std::string n = helper(k, "Slice", "Batch", {shape, ints_init(k, "start", {0}), ints_init(k, "end", {1})});
    const std::string scaled = helper(k, "Mul", "Mul", {n, ints_init(k, "factor", p.batch_factor)});
    const std::string target = helper(k, "Add", "Add", {scaled, ints_init(k, "offset", p.offset)});
    auto* node_proto = graph_->add_node();
    node_proto->set_name(g_.node(k).name);
    node_proto->set_op_type("Expand");
    node_proto->add_input(value);
    node_proto->add_input(target);
    node_proto->add_output(value_name(k));
  }
  void slice(int k, const Slice& s) {
    node(k, "Slice", {ints_init(k, "starts", s.starts), ints_init(k, "ends", s.ends), ints_init(k, "axes", s.axes),
                      ints_init(k, "steps", s.steps)});
  }
  void gather(int k, const Gather& gth) {
    integer(node(k, "Gather", {initializer(g_.node(k).name + ".indices", gth.indices.to(torch::kInt64))}), "axis",
            gth.axis);
  }
  void hard_sigmoid(int k, const HardSigmoid& h) {
    auto* n = node(k, "HardSigmoid");
    real(n, "alpha", h.alpha);
    real(n, "beta", h.beta);
  }

  void instance_norm(int k, const InstanceNorm& l) {
    const std::string& name = g_.node(k).name;
    real(node(k, "InstanceNormalization", {initializer(name + ".scale", l.scale()), initializer(name + ".bias", l.bias())}),
         "epsilon", l.eps);
  }
  // Scales or sizes for the resized axes alone (opset 18's axes attribute).
  void resize(int k, const Resize& r) {
    const bool by_size = !r.axes.empty() && r.axes[0].size > 0;
    std::vector<int64_t> axes, sizes;
    std::vector<float> scales;
    for (const auto& a : r.axes) {
      if ((a.size > 0) != by_size)
        throw UnsupportedError("save_onnx: node '" + g_.node(k).name + "' resizes some axes by scale, some to a size");
      axes.push_back(a.axis);
      sizes.push_back(a.size);
      scales.push_back(static_cast<float>(a.scale));
    }
    const std::string& name = g_.node(k).name;
    auto* n = by_size ? node(k, "Resize", {"", "", ints_init(k, "sizes", sizes)})
                      : node(k, "Resize", {"", initializer(name + ".scales", torch::tensor(scales))});
    ints(n, "axes", axes);
    text(n, "mode", r.mode == Resize::Mode::Nearest ? "nearest" : "linear");
    text(n, "coordinate_transformation_mode", r.coordinates);
    text(n, "nearest_mode", r.nearest);
  }
  // A comparison's boolean as 1.0 / 0.0, and Where's condition back to a boolean.
  void compare(int k, const Compare& c) {
    const Node& g = g_.node(k);
    const std::string b = helper(k, c.op.c_str(), c.op, {value_name(g.inputs.at(0)), value_name(g.inputs.at(1))});
    cast(k, b, value_name(k), onnx::TensorProto::FLOAT);
  }
  void where(int k) {
    const Node& g = g_.node(k);
    const std::string cond = g_.node(k).name + "/Condition";
    cast(k, value_name(g.inputs.at(0)), cond, onnx::TensorProto::BOOL);
    auto* n = graph_->add_node();
    n->set_name(g.name);
    n->set_op_type("Where");
    n->add_input(cond);
    n->add_input(value_name(g.inputs.at(1)));
    n->add_input(value_name(g.inputs.at(2)));
    n->add_output(value_name(k));
  }
  void cast(int k, const std::string& from, const std::string& to, int type) {
    auto* n = graph_->add_node();
    n->set_name(g_.node(k).name + "/Cast" + (type == onnx::TensorProto::BOOL ? "Bool" : ""));
    n->set_op_type("Cast");
    n->add_input(from);
    n->add_output(to);
    integer(n, "to", type);
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
      case LayerKind::Sub: node(k, "Sub"); return;
      case LayerKind::Div: node(k, "Div"); return;
      case LayerKind::MatMul: node(k, "MatMul"); return;
      case LayerKind::Slice: return slice(k, static_cast<const Slice&>(l));
      case LayerKind::Gather: return gather(k, static_cast<const Gather&>(l));
      case LayerKind::Expand: node(k, "Expand", {ints_init(k, "shape", static_cast<const Expand&>(l).shape)}); return;
      case LayerKind::ParamExpand: return param_expand(k, static_cast<const ParamExpand&>(l));
      case LayerKind::LayerNorm: return layer_norm(k, static_cast<const LayerNorm&>(l));
      case LayerKind::Gelu: return gelu(k);
      case LayerKind::Erf: node(k, "Erf"); return;
      case LayerKind::Sqrt: node(k, "Sqrt"); return;
      case LayerKind::HardSigmoid: return hard_sigmoid(k, static_cast<const HardSigmoid&>(l));
      case LayerKind::HardSwish: node(k, "HardSwish"); return;
      case LayerKind::InstanceNorm: return instance_norm(k, static_cast<const InstanceNorm&>(l));
      case LayerKind::Resize: return resize(k, static_cast<const Resize&>(l));
      case LayerKind::Compare: return compare(k, static_cast<const Compare&>(l));
      case LayerKind::Where: return where(k);
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
