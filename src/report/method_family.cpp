#include "report/method_family.h"

#include "attribution/registry.h"
#include "core/spec.h"

namespace sanity::report {

std::string method_family(const std::string& spec) {
  try {
    const std::string family = MethodRegistry::instance().family_of(parse_method_spec(spec));
    // Every registered method declares a family, so an unknown name is a method the user brought
    // at run time, which has left the registry by the time a report is drawn.
    return family.empty() ? families::kCustom : family;
  } catch (const std::exception&) {  // a spec this version cannot parse: shown, in the last panel
    return "other";
  }
}

const std::vector<std::string>& method_families() {
  static const std::vector<std::string> order = {families::kGradient, families::kModifiedBackprop, families::kLrp,
                                                 families::kCustom, "other", families::kBaselines};
  return order;
}

}  // namespace sanity::report
