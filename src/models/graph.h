#pragma once
// src/models: the layer graph and its layers, the backward sweep, ONNX import/export, the built-in
// models and their training.
//
// The layer graph: named nodes in topological order, each one layer with its input nodes. Node 0 is
// the input. Every node's output is reachable by name (activations), every parameterized layer can
// be listed from the output down and re-initialized, and backprop.h can replace any node's backward.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/layer.h"

namespace sanity {

// The metadata entry that says which state of a model a graph is, where it is not the model as
// loaded ("conv2, conv1 re-initialized", "the permuted-label model"): errors of a method name it.
inline constexpr const char* kModelState = "model state";

struct Node {
  std::string name;
  std::shared_ptr<Layer> layer;  // owned; Graph::clone() deep-copies
  std::vector<int> inputs;       // indices of earlier nodes
  std::string path;              // PyTorch module path ("encoder.layers.encoder_layer_11.mlp.0"); empty if unknown
};

// What the model expects: [C, H, W] (-1 where the model accepts any size).
struct InputSpec {
  std::string name = "input";
  std::vector<int64_t> shape;  // C, H, W
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;  // shares layers: use clone()
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  // Builders. Names must be unique; the first node added must be the input.
  int add_input(InputSpec spec);
  int add(std::string name, std::unique_ptr<Layer> layer, std::vector<int> inputs);
  void set_output(int node);
  // A second name that find() accepts (ONNX parameter prefixes like "features.28").
  void add_alias(const std::string& alias, int node);
  // The PyTorch module a node belongs to (imported models); randomization groups layers by it.
  void set_path(int node, std::string path) { nodes_.at(static_cast<size_t>(node)).path = std::move(path); }
  const std::string& path(int node) const { return nodes_.at(static_cast<size_t>(node)).path; }

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int i) const { return nodes_.at(static_cast<size_t>(i)); }
  Layer& layer(int i) { return *nodes_.at(static_cast<size_t>(i)).layer; }
  int size() const { return static_cast<int>(nodes_.size()); }
  const InputSpec& input_spec() const { return input_; }
  int output() const { return output_; }
  // The node whose output the explanations explain: the output, or its input when the model ends in
  // a softmax (attributions explain logits, as in the papers).
  int logits() const;

  // Node index by name; throws InputError listing the valid names when it is not found.
  int find(std::string_view name) const;
  std::optional<int> try_find(std::string_view name) const;

  // Throws InputError if x is not [N, C, H, W] with the expected C, H, W.
  void check_input(const Tensor& x, const std::string& source = "input") const;

  // Logits (the output node) for x. Autograd-friendly: training calls this.
  Tensor forward(const Tensor& x, bool training = false) const;
  // Every node's output, in node order, without an autograd graph (for attribution and probes).
  // If `upto` is given, nodes after it are not computed.
  Tensors forward_all(const Tensor& x, int upto = -1) const;

  // Parameterized layers (trainable parameters) from the output to the input: the cascading order.
  std::vector<int> layers_top_down() const;
  Tensors trainable_parameters() const;
  void set_requires_grad(bool on);
  void to(torch::Device device);
  torch::Device device() const;

  Graph clone() const;
  // The same nodes on this graph's very layer objects (editing one graph's layer edits both's), except
  // the nodes in `replaced`, which get those layers. Parameter randomization's stage models are built
  // so: the layers they keep are the trained model's, which lets a pass reuse the trained model's
  // forward values below the first re-initialized layer (models/activation_reuse.h).
  Graph share(const std::map<int, std::shared_ptr<Layer>>& replaced = {}) const;
  std::string summary() const;

  // Free-form facts recorded with the model and exported to ONNX metadata (dataset, classes, ...).
  std::map<std::string, std::string> metadata;

 private:
  std::vector<Node> nodes_;
  std::map<std::string, int, std::less<>> by_name_;
  InputSpec input_;
  int output_ = -1;
};

}  // namespace sanity
