#include "core/registry.h"

namespace sanity {

std::string entry_synopsis(const RegistryEntry& e) {
  std::string args;
  for (int i = 0; i < e.wrapped; ++i) args += (args.empty() ? "" : ", ") + std::string(i ? "M2" : "M");
  for (const auto& o : e.options) args += (args.empty() ? "" : ", ") + option_synopsis(o);
  return (args.empty() ? e.name : e.name + "(" + args + ")") + "  " + e.summary;
}

std::string entry_option_lines(const RegistryEntry& e) {
  std::string s;
  for (const auto& o : e.options)
    s += "    " + o.key + "=" + (o.fallback.empty() ? "(none)" : o.fallback) + "  " + option_type_text(o) + "  " +
         o.help + "\n";
  return s;
}

}  // namespace sanity
