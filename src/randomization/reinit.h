#pragma once
// Re-initialization of a layer's parameters for model parameter randomization (Adebayo et al. 2018).
// docs/DEFINITIONS.md ("Randomization checks") offers three distributions; the choice is recorded
// with the results.
#include <cstdint>
#include <string>

#include "models/graph.h"

namespace sanity {

enum class ReinitDistribution {
  Original,  // the layer's own initializer (built-in models: the authors' truncated normals);
             // falls back to the framework default where the initializer is unknown (imported models)
  Default,   // the framework's default reset (PyTorch: U(+-1/sqrt(fan_in)); BatchNorm and LayerNorm scale 1,
             // shift 0; embeddings, which have none, truncated normal 0.02 as torchvision's ViT)
  Permute,   // a random permutation of the layer's own values: keeps the weight distribution exactly
};

struct ReinitOptions {
  ReinitDistribution distribution = ReinitDistribution::Original;
  bool include_bias = true;         // biases are re-drawn too (the authors' choice)
  bool reset_batchnorm_stats = false;  // keep running statistics (the authors), or reset to mean 0, var 1
  uint64_t seed = 0;
  bool per_image = false;           // a new randomization per image (recorded; the runner reads it)
};

// "original", "default", "permute"; throws InputError otherwise.
ReinitDistribution parse_reinit_distribution(const std::string& name);
std::string to_string(ReinitDistribution d);

// Re-initializes node `node` in place. The draw depends only on (options.seed, node index), so a
// layer gets the same random values at every stage of a cascade and layers of equal shape still get
// different values (unlike re-seeding every layer with one seed).
void randomize_layer(Graph& graph, int node, const ReinitOptions& options);

}  // namespace sanity
