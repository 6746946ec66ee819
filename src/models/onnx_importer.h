#pragma once
// The ONNX importer's state and helpers (onnx_import.cpp), shared with the operator handlers
// (onnx_ops.cpp): one handler per operator type in a table, so that supporting an operator is one
// function and one table entry.
//
// A probe tensor (batch 1, the declared input size) runs through each layer as it is added. That
// resolves what ONNX leaves to shape inference (SAME padding, Squeeze/Unsqueeze targets) and turns a
// model that cannot run into an error naming the node at import time, not in the middle of a study.
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
  // Input i as a constant; UnsupportedError when it is computed at run time.
  const Tensor& constant(const onnx::NodeProto& n, int i, const char* role) const;
  // Input i as a graph node; InputError when nothing produces it.
  int value(const onnx::NodeProto& n, int i) const;
  std::vector<int64_t> ints_of(const Tensor& t) const;
  void set_constant(const std::string& name, Tensor t) { constants_[name] = std::move(t); }
  void set_value(const std::string& name, int node) { values_[name] = node; }
  int uses(const std::string& name) const;  // how many node inputs and graph outputs read it

  // ---- graph ----
  Graph& graph() { return graph_; }
  std::optional<Tensor> probe(int node) const;
  void set_probe(int node, Tensor t) { probes_[node] = std::move(t); }
  int64_t declared_batch() const { return declared_batch_; }
  // Linear layers made from a MatMul: an Add of a vector right after becomes their bias.
  std::set<int>& fused_matmul() { return fused_matmul_; }
  // Adds a layer for node n with the given graph inputs and maps its first output to it.
  int emit(const onnx::NodeProto& n, std::unique_ptr<Layer> layer, std::vector<int> inputs);
  // A reshape-like node whose target is the probe's output shape, with a batch-size first entry.
  void reshape_to_probe(const onnx::NodeProto& n, const std::function<Tensor(const Tensor&)>& f);
  Pads2d pads2d(const onnx::NodeProto& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                const std::vector<int64_t>& dilation, int input_node);
  std::vector<int64_t> spatial(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback);

 private:
  void check_opset();
  void add_input();
  void add_node(const onnx::NodeProto& n, int index);

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

using OpHandler = std::function<void(Importer&, const onnx::NodeProto&)>;
// Operator type -> handler, for every supported operator (onnx_ops.cpp).
const std::map<std::string, OpHandler>& operator_table();

}  // namespace sanity::onnx_import
