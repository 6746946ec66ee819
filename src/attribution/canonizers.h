#pragma once
// Canonization (Zennit's term) without touching the model. A BatchNorm whose input is a conv or
// linear layer that feeds nothing else is folded into that layer's parameters,
//   w' = w * g / sqrt(var + eps),   b' = (b - mean) * g / sqrt(var + eps) + beta,
// and the BatchNorm node then passes relevance through unchanged. The folded parameters live in
// the rule set, not in the model: the caller's model is never modified, so there is nothing to
// restore (also after an exception) and several threads may explain one model at once; the
// forward values stay the model's own.
// A BatchNorm after anything else (DenseNet's BN-ReLU-conv order, a BN after a residual sum) cannot
// be folded: it stays a linear map of its own, y = s x + t per channel, and takes an LRP rule like a
// conv does (the presets give it the z rule; see composites.h).
#include <optional>
#include <vector>

#include "attribution/lrp_rules.h"
#include "models/graph.h"

namespace sanity {

struct Canonical {
  // Per node: its linear map for LRP rules (conv and linear with any BatchNorm folded in, standalone
  // BatchNorm as a per-channel map); empty for other nodes.
  std::vector<std::optional<LinearOp>> linear;
  // Per node: for a BatchNorm folded into the layer before it, that layer's node; -1 otherwise.
  std::vector<int> folded_into;
  // Per node: true for conv / linear nodes (not standalone BatchNorm).
  std::vector<bool> affine;
};

Canonical canonize(const Graph& graph);

// The linear map of a conv or linear layer with the given parameters.
LinearOp affine_op(const AffineLayer& layer, Tensor weight, Tensor bias);

}  // namespace sanity
