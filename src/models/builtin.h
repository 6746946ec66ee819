#pragma once
// The papers' MNIST architectures (Adebayo et al. 2018, from the authors' released code).
#include <cstdint>
#include <string>

#include "models/graph.h"

namespace sanity {

// conv1 5x5x32 SAME + ReLU -> maxpool 2 -> conv2 5x5x64 SAME + ReLU -> maxpool 2 -> fc1 1024 + ReLU
// -> fc2 (logits). Weights truncated normal std 0.1, biases 0.1, as the authors' code.
Graph build_cnn(uint64_t seed, int64_t channels = 1, int64_t height = 28, int64_t width = 28, int64_t classes = 10);

// hidden1 2500 -> hidden2 1500 -> hidden3 500 (ReLU) -> logits. Weights truncated normal
// std 2/sqrt(fan_in), biases 0, as the authors' code.
Graph build_mlp(uint64_t seed, int64_t channels = 1, int64_t height = 28, int64_t width = 28, int64_t classes = 10);

// "cnn" or "mlp"; throws InputError for other names.
Graph build_builtin(const std::string& name, uint64_t seed, int64_t channels = 1, int64_t height = 28,
                    int64_t width = 28, int64_t classes = 10);

}  // namespace sanity
