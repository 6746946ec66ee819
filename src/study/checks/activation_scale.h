#pragma once
// Activation-scale preservation (Binder et al. 2023): top-down randomization keeps the scale and the
// spatial layout of forward activations, which bounds how much explanations can change.
// Per parameterized layer we compare the randomized model's output with the trained model's:
//   activation_norm_ratio  mean over images of ||a_random|| / ||a_trained||
//   activation_rank_corr   mean over images of the Spearman correlation, over channels, of the
//                          per-channel mean activation (conv: mean over positions; dense: the unit)
// The layer's output is read after its ReLU when one follows (what the next layer sees).
#include <string>
#include <vector>

#include "models/graph.h"

namespace sanity {

struct LayerScale {
  std::string layer;
  double norm_ratio = 0;
  double rank_corr = 0;
};

std::vector<LayerScale> activation_scale(const Graph& trained, const Graph& randomized, const Tensor& images);

}  // namespace sanity
