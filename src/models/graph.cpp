#include "models/graph.h"

#include <sstream>

#include "core/error.h"
#include "models/activation_reuse.h"
#include "models/layers.h"

namespace sanity {

int Graph::add_input(InputSpec spec) {
  if (!nodes_.empty()) throw std::logic_error("Graph::add_input: the input must be the first node");
  input_ = spec;
  return add(spec.name, std::make_unique<InputLayer>(), {});
}

int Graph::add(std::string name, std::unique_ptr<Layer> layer, std::vector<int> inputs) {
  const int index = size();
  if (by_name_.count(name)) throw InputError("model: duplicate node name '" + name + "'");
  for (int i : inputs)
    if (i < 0 || i >= index) throw std::logic_error("Graph::add: node '" + name + "' has an input that is not earlier");
  by_name_[name] = index;
  nodes_.push_back({std::move(name), std::shared_ptr<Layer>(std::move(layer)), std::move(inputs)});
  output_ = index;
  return index;
}

void Graph::set_output(int node) { output_ = node; }

void Graph::add_alias(const std::string& alias, int node) { by_name_.emplace(alias, node); }

int Graph::logits() const {
  const Node& out = node(output_);
  const LayerKind k = out.layer->kind();
  if ((k == LayerKind::Softmax || k == LayerKind::LogSoftmax) && !out.inputs.empty()) return out.inputs[0];
  return output_;
}

std::optional<int> Graph::try_find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

int Graph::find(std::string_view name) const {
  if (auto i = try_find(name)) return *i;
  std::ostringstream msg;
  msg << "model: no layer named '" << name << "'; layers with parameters are:";
  for (int i : layers_top_down()) msg << " " << nodes_[i].name;
  msg << " (run `sanity info --model ...` for all names)";
  throw InputError(msg.str());
}

void Graph::check_input(const Tensor& x, const std::string& source) const {
  auto shape_str = [](at::IntArrayRef s) {
    std::ostringstream o;
    o << "[";
    for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
    return o.str() + "]";
  };
  bool ok = x.dim() == 4 && static_cast<size_t>(x.dim() - 1) == input_.shape.size();
  for (size_t i = 0; ok && i < input_.shape.size(); ++i)
    ok = input_.shape[i] < 0 || input_.shape[i] == x.size(static_cast<int64_t>(i) + 1);
  if (!ok) {
    std::vector<int64_t> expected{-1};
    expected.insert(expected.end(), input_.shape.begin(), input_.shape.end());
    // The common case: a grayscale model fed an image folder read as RGB (the default), or the reverse.
    std::string hint;
    if (x.dim() == 4 && !input_.shape.empty() && input_.shape[0] > 0 && x.size(1) != input_.shape[0] &&
        (x.size(1) == 1 || x.size(1) == 3) && (input_.shape[0] == 1 || input_.shape[0] == 3))
      hint = "; for an image folder give --channels " + std::to_string(input_.shape[0]);
    throw InputError(source + ": input shape " + shape_str(x.sizes()) + " does not match the model's input '" +
                     input_.name + "', expected [N, " + shape_str(at::IntArrayRef(expected)).substr(5) + hint);
  }
}

Tensor Graph::forward(const Tensor& x, bool training) const {
  // Keep each output only until its last consumer has run.
  std::vector<int> remaining(nodes_.size(), 0);
  for (const auto& n : nodes_)
    for (int i : n.inputs) ++remaining[i];
  ++remaining[output_];
  Tensors values(nodes_.size());
  values[0] = x;
  for (size_t k = 1; k < nodes_.size(); ++k) {
    const Node& n = nodes_[k];
    Tensors in;
    in.reserve(n.inputs.size());
    for (int i : n.inputs) in.push_back(values[i]);
    values[k] = n.layer->forward(in, training);
    for (int i : n.inputs)
      if (--remaining[i] == 0) values[i] = Tensor();
    if (static_cast<int>(k) == output_) break;
  }
  return values[output_];
}

Tensors Graph::forward_all(const Tensor& x, int upto) const {
  torch::NoGradGuard no_grad;
  const size_t last = upto < 0 ? nodes_.size() - 1 : static_cast<size_t>(upto);
  Tensors values(nodes_.size());
  values[0] = x;
  // Lower nodes an earlier pass of x through the same layers computed (models/activation_reuse.h).
  const int reused = activation_reuse::recall(*this, static_cast<int>(last), values);
  for (size_t k = static_cast<size_t>(reused) + 1; k <= last; ++k) {
    const Node& n = nodes_[k];
    Tensors in;
    in.reserve(n.inputs.size());
    for (int i : n.inputs) in.push_back(values[i]);
    values[k] = n.layer->forward(in, false);
  }
  activation_reuse::remember(*this, static_cast<int>(last), reused, values);
  return values;
}

std::vector<int> Graph::layers_top_down() const {
  std::vector<int> out;
  for (int k = size() - 1; k >= 0; --k)
    if (nodes_[k].layer->has_trainable_params()) out.push_back(k);
  return out;
}

Tensors Graph::trainable_parameters() const {
  Tensors out;
  for (const auto& n : nodes_)
    for (const auto& p : n.layer->params())
      if (p.trainable) out.push_back(p.value);
  return out;
}

void Graph::set_requires_grad(bool on) {
  for (auto& n : nodes_)
    for (auto& p : n.layer->params())
      if (p.trainable) p.value.requires_grad_(on);
}

void Graph::to(torch::Device device) {
  for (auto& n : nodes_) {
    for (auto& p : n.layer->params()) {
      const bool rg = p.value.requires_grad();
      p.value = p.value.detach().to(device).requires_grad_(rg);
    }
  }
}

torch::Device Graph::device() const {
  for (const auto& n : nodes_)
    for (const auto& p : n.layer->params()) return p.value.device();
  return torch::kCPU;
}

Graph Graph::clone() const {
  Graph g;
  g.input_ = input_;
  g.output_ = output_;
  g.by_name_ = by_name_;
  g.metadata = metadata;
  for (const auto& n : nodes_) g.nodes_.push_back({n.name, std::shared_ptr<Layer>(n.layer->clone()), n.inputs, n.path});
  return g;
}

Graph Graph::share(const std::map<int, std::shared_ptr<Layer>>& replaced) const {
  Graph g;
  g.input_ = input_;
  g.output_ = output_;
  g.by_name_ = by_name_;
  g.metadata = metadata;
  g.nodes_ = nodes_;
  for (const auto& [node, layer] : replaced) {
    if (node <= 0 || node >= size() || !layer || layer->kind() != nodes_[static_cast<size_t>(node)].layer->kind())
      throw std::logic_error("Graph::share: node " + std::to_string(node) + " replaced by no layer or another kind");
    g.nodes_[static_cast<size_t>(node)].layer = layer;
  }
  return g;
}

std::string Graph::summary() const {
  std::ostringstream o;
  int64_t total = 0;
  for (const auto& n : nodes_) {
    int64_t count = 0;
    for (const auto& p : n.layer->params())
      if (p.trainable) count += p.value.numel();
    total += count;
    o << "  " << n.name << "  " << kind_name(n.layer->kind());
    const std::string d = n.layer->describe();
    if (!d.empty()) o << " (" << d << ")";
    if (count) o << "  params " << count;
    if (!n.inputs.empty() && !(n.inputs.size() == 1 && n.inputs[0] + 1 == &n - nodes_.data())) {
      o << "  <-";
      for (int i : n.inputs) o << " " << nodes_[i].name;
    }
    o << "\n";
  }
  o << "  total trainable parameters " << total << "\n";
  return o.str();
}

}  // namespace sanity
