// libFuzzer target: the spec parser and the registries. The first byte picks the registry (method,
// metric, check, rule); the rest is a comma-separated list of specs, each parsed and built.
#include <cstdint>
#include <string>

#include "attribution/lrp_rules.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "metrics/registry.h"
#include "study/checks/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    for (const sanity::Spec& s : sanity::parse_method_list(text)) {
      switch (data[0] % 4) {
        case 0: sanity::MethodRegistry::instance().make(s); break;
        case 1: sanity::MetricRegistry::instance().make(s); break;
        case 2: sanity::CheckRegistry::instance().make(s); break;
        default: sanity::RuleRegistry::instance().make(s, "fuzz"); break;
      }
      (void)s.str();
    }
  } catch (const sanity::InputError&) {
  } catch (const sanity::UnsupportedError&) {
  }
  return 0;
}
