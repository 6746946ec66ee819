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

// A small Vision Transformer (Dosovitskiy et al. 2021), laid out and named as torchvision's ViT so
// that randomization stages, GradCAM and the LRP rules treat it as they treat vit_b_16: conv_proj
// (7x7 patches, stride 7: 4x4 tokens for MNIST), a class token and a learned position embedding, 4
// encoder layers (pre-LayerNorm, 4 heads of 16, MLP 128 with GELU), encoder.ln, heads.head on the
// class token. Weights truncated normal sqrt(1/fan_in), biases 0; position embedding truncated
// normal 0.02 and class token 0, as torchvision initializes them.
Graph build_vit(uint64_t seed, int64_t channels = 1, int64_t height = 28, int64_t width = 28, int64_t classes = 10);

// "cnn", "mlp" or "vit"; throws InputError for other names.
Graph build_builtin(const std::string& name, uint64_t seed, int64_t channels = 1, int64_t height = 28,
                    int64_t width = 28, int64_t classes = 10);

}  // namespace sanity
