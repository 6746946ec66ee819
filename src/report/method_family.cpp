#include "report/method_family.h"

#include <map>

#include "core/spec.h"

namespace sanity::report {

namespace {

const std::map<std::string, std::string>& family_of_name() {
  static const std::map<std::string, std::string> table = {
      {"gradient", "gradient"},
      {"gradient_x_input", "gradient"},
      {"integrated_gradients", "gradient"},
      {"gradcam", "gradient"},
      {"guided_backprop", "modified backprop"},
      {"deconvnet", "modified backprop"},
      {"rectgrad", "modified backprop"},
      {"deeplift", "modified backprop"},
      {"pattern_net", "modified backprop"},
      {"pattern_attribution", "modified backprop"},
      {"guided_gradcam", "modified backprop"},
      {"deep_taylor", "LRP"},
      {"excitation_backprop", "LRP"},
      {"sobel", "baselines"},
      {"noise", "baselines"},
      {"constant", "baselines"},
  };
  return table;
}

// The innermost method of a chain of noise-tunnel wrappers.
const Spec& unwrap(const Spec& s) {
  const bool wrapper = s.name == "smoothgrad" || s.name == "vargrad" || s.name == "smoothgrad_squared";
  return wrapper && !s.methods.empty() ? unwrap(s.methods.front()) : s;
}

}  // namespace

std::string method_family(const std::string& spec) {
  Spec parsed;
  try {
    parsed = parse_method_spec(spec);
  } catch (const std::exception&) {
    return "other";
  }
  const std::string& name = unwrap(parsed).name;
  if (name.rfind("lrp_", 0) == 0) return "LRP";
  const auto it = family_of_name().find(name);
  return it == family_of_name().end() ? "other" : it->second;
}

const std::vector<std::string>& method_families() {
  static const std::vector<std::string> order = {"gradient", "modified backprop", "LRP", "other", "baselines"};
  return order;
}

}  // namespace sanity::report
