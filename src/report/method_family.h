#pragma once
// The families the report groups methods by, so that a figure of 20+ methods is four readable panels
// and the scorecard reads family by family: gradient (plain and integrated gradients, their noise
// tunnels, GradCAM), modified backprop (rules on ReLUs or gates: Guided Backprop, Deconvnet, RectGrad,
// DeepLIFT, PatternNet/-Attribution, Guided GradCAM), LRP (every lrp_* preset, Deep Taylor,
// Excitation Backprop) and baselines (sobel, noise, constant: maps that ignore the model).
// A wrapper (smoothgrad(guided_backprop)) belongs to the family of the method it wraps.
#include <string>
#include <vector>

namespace sanity::report {

// "gradient", "modified backprop", "LRP", "baselines" (each method declares its family where it
// registers, attribution/registry.h), "custom" for a name the registry does not know (a method the
// user brought at run time, attribution/callable_method.h), "other" for a spec that does not parse.
std::string method_family(const std::string& spec);
// The families in display order (baselines last in figures; the scorecard puts them first).
const std::vector<std::string>& method_families();

}  // namespace sanity::report
