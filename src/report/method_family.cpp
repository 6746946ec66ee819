#include "report/method_family.h"

#include "attribution/registry.h"
#include "core/spec.h"

namespace sanity::report {

std::string method_family(const std::string& spec) {
  try {
    const std::string family = MethodRegistry::instance().family_of(parse_method_spec(spec));
    return family.empty() ? "other" : family;
  } catch (const std::exception&) {  // a spec this version cannot parse: shown, in the last panel
    return "other";
  }
}

const std::vector<std::string>& method_families() {
  static const std::vector<std::string> order = {families::kGradient, families::kModifiedBackprop, families::kLrp,
                                                 "other", families::kBaselines};
  return order;
}

}  // namespace sanity::report
