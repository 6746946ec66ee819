#pragma once
// The ONNX importer's state and helpers (onnx_import.cpp: the graph; onnx_import_constants.cpp: folded
// values; onnx_import_emit.cpp: nodes, their names and probes), shared with the operator handlers
// (onnx_ops*.cpp): one handler per operator type in a table, so that supporting an operator is one
// function and one table entry.
//
// Every ONNX value is either a constant, folded at import, or a computed tensor, the output of a
// graph node. Probe tensors (the declared input size at two batch sizes, kProbeBatch[0] and [1]) run
// through each layer as it is added. They resolve what ONNX leaves to shape inference (SAME padding,
// Squeeze targets, the Shape -> Gather -> Concat -> Reshape chains of dynamic-batch exports, folded
// here) and turn a model that cannot run into an error naming the node at import time, not in the
// middle of a study. A constant folded from a Shape may differ between the two probes: it depends on
// the batch size, and its entries are then affine in the batch size N (factor * N + offset), which
// is how a Reshape target like [N * 12, 197, 64] is kept.
#include <onnx/onnx_pb.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/graph.h"
#include "models/layers.h"

namespace sanity::onnx_import {

std::string join(const std::vector<std::string>& v, const char* sep = ", ");
std::string shape_str(at::IntArrayRef s);

// The two batch sizes of the probes. 1 and 2: the smallest pair that tells a batch dimension apart.
inline constexpr int64_t kProbeBatch[2] = {1, 2};

// One entry of a shape that may depend on the batch size N: factor * N + offset.
struct BatchAffine {
  int64_t factor = 0, offset = 0;
};

// A folded constant: its value with the first probe's batch size, and with the second's where it
// differs (a shape read from a computed tensor). `param` marks values derived from the model's own
// parameters (initializers named like "encoder.pos_embedding"), which stay parameters of the layers
// that use them, so that randomization re-draws them.
struct Constant {
  Tensor value;
  Tensor second;  // undefined: the same for every batch size
  bool param = false;
  std::string source;  // the initializer it is (empty if folded from several)
  bool batch_dependent() const { return second.defined(); }
  const Tensor& at(int probe) const { return probe == 0 || !second.defined() ? value : second; }
};

class Importer {
 public:
  // Takes the model by reference to free each initializer's bytes once it is a tensor: a 550 MB VGG-16
  // then peaks near its file size instead of holding the bytes twice.
  Importer(std::string path, onnx::ModelProto& model) : path_(std::move(path)), model_(model) {}
  Graph run();

  // ---- errors: one line naming the file, the node and its operator ----
  [[noreturn]] void bad(const onnx::NodeProto& n, const std::string& what) const;
  [[noreturn]] void unsupported(const onnx::NodeProto& n, const std::string& what) const;
  std::string name_of(const onnx::NodeProto& n) const { return n.name().empty() ? current_name_ : n.name(); }
  int64_t opset() const { return opset_; }

  // ---- tensors and attributes ----
  Tensor to_tensor(const onnx::TensorProto& t, const std::string& what) const;
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& key) const;
  int64_t attr_int(const onnx::NodeProto& n, const std::string& key, int64_t fallback) const;
  double attr_float(const onnx::NodeProto& n, const std::string& key, double fallback) const;
  std::string attr_string(const onnx::NodeProto& n, const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) const;

  // ---- values: constants (initializers, folded nodes) and computed tensors (graph nodes) ----
  bool has_input(const onnx::NodeProto& n, int i) const { return n.input_size() > i && !n.input(i).empty(); }
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }
  // True if every present input of n is a constant (the node folds).
  bool all_constant(const onnx::NodeProto& n) const;
  // Input i as a constant that does not depend on the batch size; UnsupportedError otherwise.
  const Tensor& constant(const onnx::NodeProto& n, int i, const char* role) const;
  // Input i as a constant that may depend on the batch size.
  const Constant& folded(const onnx::NodeProto& n, int i, const char* role) const;
  // Input i as integers affine in the batch size (a Reshape target, Slice bounds).
  std::vector<BatchAffine> batch_ints(const onnx::NodeProto& n, int i, const char* role) const;
  // Input i as a graph node. A constant input becomes a node of its own (a parameter, broadcast to
  // the batch where it depends on it): a ViT's class token concatenated with the patch tokens.
  int value(const onnx::NodeProto& n, int i);
  std::vector<int64_t> ints_of(const Tensor& t) const;
  void set_constant(const std::string& name, Constant c) { constants_[name] = std::move(c); }
  void set_value(const std::string& name, int node) { values_[name] = node; }
  int uses(const std::string& name) const;  // how many node inputs and graph outputs read it

  // Folds node n: runs `f` on its inputs' constants at each probe batch size; output k of f becomes
  // the constant n.output(k). Derived-from-parameter marks carry over.
  void fold(const onnx::NodeProto& n, const std::function<Tensors(const Tensors&)>& f);

  // ---- graph ----
  Graph& graph() { return graph_; }
  // The probe output of a node at probe batch index 0 or 1 (none when the input size is not fixed).
  std::optional<Tensor> probe(int node, int which = 0) const;
  void set_probe(int node, int which, Tensor t) { probes_[which][node] = std::move(t); }
  int64_t declared_batch() const { return declared_batch_; }
  // Linear layers made from a MatMul: an Add of a vector right after becomes their bias.
  std::set<int>& fused_matmul() { return fused_matmul_; }
  // Adds a layer for output `output` of node n with the given graph inputs and maps that output to
  // it. The layer runs on the probes, and a failure there is this node's error.
  int emit(const onnx::NodeProto& n, std::unique_ptr<Layer> layer, std::vector<int> inputs, int output = 0);
  // Emits the layer on input 0 of n, or folds it when that input is a constant.
  void emit_or_fold(const onnx::NodeProto& n, std::unique_ptr<Layer> layer);
  // A reshape-like node whose target is the probe's output shape with the batch size first.
  void reshape_to_probe(const onnx::NodeProto& n, const std::function<Tensor(const Tensor&)>& f);
  // A window's pads (explicit or auto_pad), checked: pads of image size and a window that fits.
  Pads2d pads2d(const onnx::NodeProto& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                const std::vector<int64_t>& dilation, int input_node);
  std::vector<int64_t> spatial(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback);

 private:
  Pads2d pads_as_given(const onnx::NodeProto& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                       const std::vector<int64_t>& dilation, int input_node);
  void check_opset();
  void add_input();
  void add_node(const onnx::NodeProto& n, int index);
  int materialize(const onnx::NodeProto& n, const std::string& name);
  // emit()'s parts: the node's graph name, its layer run on probe `which` (none when an input has no
  // probe), and the PyTorch module path and aliases of the node it added.
  std::string unique_node_name(const onnx::NodeProto& n, const std::string& weight, const std::string& scoped,
                               int output) const;
  std::optional<Tensor> run_on_probe(const onnx::NodeProto& n, const Layer& layer, const std::vector<int>& inputs,
                                     int which) const;
  void record_module_path(int idx, const onnx::NodeProto& n, const std::string& name, const std::string& weight,
                          const std::string& scoped);

  std::string path_;
  onnx::ModelProto& model_;
  int64_t opset_ = 0, declared_batch_ = -1;
  Graph graph_;
  std::map<std::string, Constant> constants_;
  std::map<std::string, int> values_;
  std::map<std::string, int> uses_;
  std::map<int, Tensor> probes_[2];
  std::set<int> fused_matmul_;
  std::string current_name_;
};

using OpHandler = std::function<void(Importer&, const onnx::NodeProto&)>;
// The handler of an operator that is one parameter-free layer L (Relu, Tanh, Erf, ...).
template <class L>
OpHandler unary() {
  return [](Importer& im, const onnx::NodeProto& n) { im.emit_or_fold(n, std::make_unique<L>()); };
}
// Operator type -> handler, for every supported operator (onnx_ops.cpp and onnx_ops_*.cpp).
const std::map<std::string, OpHandler>& operator_table();
// The operators that only ever fold (shape arithmetic: Shape, Equal, Where, Range, ...).
void add_folding_operators(std::map<std::string, OpHandler>& table);
// The operators of transformers and modern CNNs (MatMul of computed tensors, LayerNormalization,
// Slice, Gather, Split, Expand, activations).
void add_transformer_operators(std::map<std::string, OpHandler>& table);
// The operators of the models users bring (InstanceNormalization, Resize, comparisons and Where on
// computed tensors). Added last: it wraps the folding handlers of the comparisons and Where.
void add_user_model_operators(std::map<std::string, OpHandler>& table);

// Rewrites the decomposed LayerNormalization and GELU of older exports into single nodes (their
// layers have their own VJP and LRP rules), before the nodes are imported. Returns the node list.
std::vector<onnx::NodeProto> fuse_patterns(const onnx::GraphProto& g, const std::map<std::string, Constant>& constants);

}  // namespace sanity::onnx_import
