#pragma once
// Forward values shared between passes. A pass of an input through a graph whose lowest
// nodes are the very Layer objects (same parameters, unchanged) of a pass remembered here starts above
// them, with the remembered values: the same tensors, so everything computed from them is bit for bit
// what computing them again gives.
//   - Parameter randomization's stage models share every layer they do not re-initialize with the
//     trained model (CheckContext::stage_model): cascading stage k's pass of rows the trained model
//     has just seen starts at its lowest re-initialized layer, and so does independent randomization's.
//   - Two methods that explain the same model and rows (gradient, Guided Backprop, the LRP family,
//     GradCAM and Guided GradCAM's two sweeps, ...) share the whole forward pass.
// Only while an ActivationReuse is alive (the check runner holds one for a run), and only for
// Graph::forward_all (attribution's passes, never training's). A value edited in place since it was
// remembered (its version counter moved) is not served again, nor is anything above it.
#include <cstddef>
#include <cstdint>

#include "models/layer.h"

namespace sanity {

class Graph;

class ActivationReuse {
 public:
  // Remembers the passes of the kMaxInputs most recently used inputs (the rows of one chunk through
  // every model, and a second input such as DeepLIFT's reference), up to kMaxPasses passes and
  // `max_bytes` of values computed in them (values a pass took from an earlier one are not counted
  // twice): what sharing needs, without holding a sweep's every batch.
  explicit ActivationReuse(size_t max_bytes);
  ~ActivationReuse();  // forgets every pass
  ActivationReuse(const ActivationReuse&) = delete;
  ActivationReuse& operator=(const ActivationReuse&) = delete;

  static constexpr size_t kMaxPasses = 16, kMaxInputs = 2;

  // Node outputs taken from remembered passes and computed, since the process started.
  struct Counts {
    int64_t reused = 0, computed = 0;
  };
  static Counts counts();
};

namespace activation_reuse {

// Fills values[1..k] (values[0] is x) from the remembered pass of x that shares the most lowest nodes
// with g, up to `last`, and returns k (0: none; always 0 without an ActivationReuse).
int recall(const Graph& g, int last, Tensors& values);
// Remembers a pass whose values[0..last] are filled, the first `reused` nodes of them by recall.
void remember(const Graph& g, int last, int reused, const Tensors& values);

}  // namespace activation_reuse
}  // namespace sanity
