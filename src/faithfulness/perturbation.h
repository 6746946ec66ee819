#pragma once
// What perturbed pixels become, and the model's target scores along a perturbation path.
#include <cstdint>
#include <string>
#include <vector>

#include "models/graph.h"

namespace sanity {

// uniform: i.i.d. uniform noise in [min x, max x] of that image, drawn once per image from (seed,
//          image id) (Samek et al.'s default);
// zero:    the model's input-space zero;  mean: the image's per-channel mean;
// blur:    the image blurred by a Gaussian of blur_sigma pixels (replicate borders).
enum class Replacement { Uniform, Zero, Mean, Blur };

const std::vector<std::string>& replacement_names();  // uniform, zero, mean, blur
// Throws InputError naming `option` and the valid names.
Replacement parse_replacement(const std::string& name, const std::string& option);

// The replacement image for each image of x [N, C, H, W]; ids [N] int64 key the noise (so results do
// not depend on batching); `purpose` separates the draws of different measures.
Tensor replacement_values(const Tensor& x, Replacement kind, const Tensor& ids, uint64_t seed, double blur_sigma,
                          const std::string& purpose);

// The target class's logit and softmax probability at each step of a perturbation path: [N, K]
// float64 each, on the CPU.
struct PathScores {
  Tensor logit, probability;
};

// Image i at step k is where(ranks[i] < thresholds[k], to[i], from[i]): each pixel switches from
// `from` to `to` once the step's threshold passes its rank (ranks [N, 1, H, W] broadcast over the
// channels). All N x K images go through the model's forward in chunks of batch_size, without
// autograd; they are built chunk by chunk, so pixel-level paths need no N x K x C x H x W memory.
PathScores score_path(const Graph& model, const Tensor& from, const Tensor& to, const Tensor& ranks,
                      const std::vector<int64_t>& thresholds, const Tensor& targets, int64_t batch_size);

// The logits node's output (the input of a final softmax) for x, without autograd.
Tensor model_logits(const Graph& model, const Tensor& x);

}  // namespace sanity
