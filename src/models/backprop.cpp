#include "models/backprop.h"

#include <stdexcept>

namespace sanity {

Tensor backprop(const Graph& graph, const Tensors& acts, int from, const Tensor& seed,
                const BackpropOptions& options) {
  torch::NoGradGuard no_grad;
  if (seed.sizes() != acts.at(from).sizes())
    throw std::invalid_argument("backprop: the seed's shape does not match the output of node " +
                                graph.node(from).name);
  Tensors signal(static_cast<size_t>(graph.size()));
  signal[from] = seed;
  const int stop = std::max(0, options.stop_at);
  for (int k = from; k > stop; --k) {
    if (!signal[k].defined()) continue;  // not on a path from `from`
    // As autograd: a node's signal has its output's dtype, and what it sends back its inputs'. Under
    // bf16 autocast (core/precision.h) a node's output and inputs can differ (a float32 LayerNorm
    // after a bfloat16 linear layer), and kernels refuse mixed dtypes. A no-op in float32.
    Tensor g = std::move(signal[k]);
    if (g.scalar_type() != acts[k].scalar_type()) g = g.to(acts[k].scalar_type());
    if (options.observe) options.observe(k, g);
    const Node& n = graph.node(k);
    Tensors in;
    in.reserve(n.inputs.size());
    for (int i : n.inputs) in.push_back(acts[i]);
    const BackwardRule* rule = options.rules && static_cast<size_t>(k) < options.rules->size()
                                   ? (*options.rules)[k].get()
                                   : nullptr;
    Tensors back = rule ? rule->backward({graph, k, in, acts[k], g}) : n.layer->backward(in, acts[k], g);
    for (size_t j = 0; j < n.inputs.size() && j < back.size(); ++j) {
      if (!back[j].defined()) continue;
      const Tensor& input = acts[n.inputs[j]];
      if (input.defined() && back[j].scalar_type() != input.scalar_type()) back[j] = back[j].to(input.scalar_type());
      Tensor& slot = signal[n.inputs[j]];
      slot = slot.defined() ? slot + back[j] : back[j];
    }
  }
  if (options.observe && signal[stop].defined()) options.observe(stop, signal[stop]);
  return signal[stop].defined() ? signal[stop] : torch::zeros_like(acts[stop]);
}

Tensor one_hot_seed(const Tensor& logits, const Tensor& classes) {
  Tensor seed = torch::zeros_like(logits);
  seed.scatter_(1, classes.view({-1, 1}).to(logits.device()), 1.0);
  return seed;
}

}  // namespace sanity
