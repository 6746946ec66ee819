#pragma once
// Guided Backprop and Deconvnet as backward rules on the rectifiers (docs/DEFINITIONS.md
// "Attribution methods"): every other layer passes its true gradient back.
//   Guided Backprop: through each ReLU, only positive signal where the forward input was positive.
//   Deconvnet:       through each ReLU, only positive signal, whatever the forward sign.
// ReLU6-style clips with a lower bound of 0 are treated as rectifiers too.
#include "models/backprop.h"

namespace sanity {

enum class ReluRule { Guided, Deconvnet };

// ReLU, or a clip with lower bound 0 (ReLU6).
bool is_rectifier(const Layer& layer);

// One rule per rectifier node of `model` (null slots elsewhere), for BackpropOptions::rules.
// Throws UnsupportedError naming `method` and the node when the model has an activation that is not
// a rectifier (GELU, SiLU, HardSwish): both methods are defined on ReLU networks, and we do not guess
// a rule for other nonlinearities (Captum hooks nn.ReLU modules only and leaves them the plain
// gradient, silently). Sigmoid gates (squeeze-and-excitation) are not activations and pass.
RuleSet relu_rules(const Graph& model, ReluRule rule, const std::string& method);

// The first node that is a non-rectifier activation (see relu_rules), if any.
std::optional<int> non_rectifier_activation(const Graph& model);

}  // namespace sanity
