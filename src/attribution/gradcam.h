#pragma once
// GradCAM (Selvaraju et al. 2017) and Guided GradCAM, as docs/DEFINITIONS.md "Attribution methods"
// defines them: for feature maps A of one layer, a_k = mean over space of dS_c/dA_k,
// map = ReLU(sum_k a_k A_k) / its max, upsampled bilinearly to the input size and repeated over
// the input's channels; Guided GradCAM = Guided Backprop * that map. A transformer's token sequence
// [N, T, C] is a map too (docs/DEFINITIONS.md "Transformers"): the leading tokens that do not fit the square
// patch grid (a ViT's class token) are dropped and the rest laid out as the grid.
#include <string>
#include <vector>

#include "attribution/method.h"

namespace sanity {

// The node GradCAM reads, given every node's output for some input (Graph::forward_all). "auto" (or
// empty): the feature map the classifier head pools. Walking down from the logits, the first output
// that is a spatial map [N, C, H, W] (H, W > 1) or a token sequence [N, T, C] (T > 1); below any
// non-global pooling to the block output it pools (a VGG's last ReLU; Inception's Mixed_7c concat;
// DenseNet's final ReLU). A head that reads one token (a ViT's class token) sees no gradient on the
// patch tokens of the final sequence: GradCAM then reads the input of the last attention block, its
// first LayerNorm (ln_1), as pytorch-grad-cam's ViT recipe does. Any other text is a node name or
// PyTorch module path.
int gradcam_layer(const Graph& model, const std::string& layer, const Tensors& acts);
// The same for one example input (runs the model on its first image).
int gradcam_layer(const Graph& model, const std::string& layer, const Tensor& example);

// A layer output as a feature map [N, C, H, W]: 4-d outputs as they are, token sequences [N, T, C]
// with the leading tokens beyond the largest square grid dropped. Throws InputError otherwise.
Tensor as_feature_map(const Tensor& a, const std::string& method, const std::string& layer_name);

// From a resolved spec (option layer).
MethodPtr make_gradcam(const MethodSpec& spec, bool guided);

}  // namespace sanity
