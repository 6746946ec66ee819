#pragma once
// Guided Backprop and Deconvnet as backward rules on the rectifiers (PROTOCOLS "Attribution
// methods"): every other layer passes its true gradient back.
//   Guided Backprop: through each ReLU, only positive signal where the forward input was positive.
//   Deconvnet:       through each ReLU, only positive signal, whatever the forward sign.
// ReLU6-style clips with a lower bound of 0 are treated as rectifiers too.
#include "models/backprop.h"

namespace sanity {

enum class ReluRule { Guided, Deconvnet };

// ReLU, or a clip with lower bound 0 (ReLU6).
bool is_rectifier(const Layer& layer);

// One rule per rectifier node of `model` (null slots elsewhere), for BackpropOptions::rules.
RuleSet relu_rules(const Graph& model, ReluRule rule);

}  // namespace sanity
