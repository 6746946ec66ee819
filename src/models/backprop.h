#pragma once
// The backward sweep over the layer graph. By default every node passes back its true gradient
// (Layer::backward); a rule set replaces chosen nodes' backward behaviour (Guided Backprop at ReLUs,
// LRP rules at affine layers, ...). An observer sees the signal arriving at every node's output,
// which is how GradCAM reads a layer's gradient and CSC reads relevance at every layer.
#include <functional>
#include <memory>
#include <vector>

#include "models/graph.h"

namespace sanity {

struct BackwardCall {
  const Graph& graph;
  int node;
  const Tensors& inputs;  // the node's forward inputs
  const Tensor& output;   // the node's forward output
  const Tensor& grad;     // the signal arriving at the output
};

class BackwardRule {
 public:
  virtual ~BackwardRule() = default;
  // The signal for each of the node's inputs (undefined tensors for inputs that get none).
  virtual Tensors backward(const BackwardCall& call) const = 0;
};

using RuleSet = std::vector<std::shared_ptr<const BackwardRule>>;  // one slot per node; null = gradient

struct BackpropOptions {
  const RuleSet* rules = nullptr;
  // Called once per node with the total signal at that node's output, from the top node down.
  std::function<void(int node, const Tensor& signal)> observe;
  // Stop after this node has passed its signal back (0: go down to the input).
  int stop_at = 0;
};

// Propagates `seed` (shaped like the output of node `from`) down to the input using the forward
// values `acts` (Graph::forward_all). Returns the signal at the input node (node 0), or at
// `stop_at` if set. Runs without building an autograd graph.
Tensor backprop(const Graph& graph, const Tensors& acts, int from, const Tensor& seed,
                const BackpropOptions& options = {});

// One-hot seeds for the given class of each sample, shaped like logits [N, K].
Tensor one_hot_seed(const Tensor& logits, const Tensor& classes);

}  // namespace sanity
