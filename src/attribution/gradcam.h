#pragma once
// GradCAM (Selvaraju et al. 2017) and Guided GradCAM, as PROTOCOLS "Attribution methods" defines
// them: for feature maps A of one conv layer, a_k = mean over space of dS_c/dA_k,
// map = ReLU(sum_k a_k A_k) / its max, upsampled bilinearly to the input size and repeated over
// the input's channels; Guided GradCAM = Guided Backprop * that map.
#include <string>
#include <vector>

#include "attribution/method.h"

namespace sanity {

// The node GradCAM reads. "auto" (or empty): the rectifier following the last conv layer (through
// BatchNorm / residual Add), i.e. the last conv layer's post-ReLU output before pooling; the last
// conv itself if no rectifier follows. Any other text is a node name or PyTorch module path.
int gradcam_layer(const Graph& model, const std::string& layer);

// From a resolved spec (option layer).
MethodPtr make_gradcam(const MethodSpec& spec, bool guided);

}  // namespace sanity
