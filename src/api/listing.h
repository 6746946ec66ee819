#pragma once
// Everything a user can name in a spec, from the registries: methods, LRP rules, LRP composites,
// metrics and checks, with every option, its type, default and help. `sanity list` prints it,
// --help footers show the synopsis lines, docs/REGISTRY.md is its markdown (a test keeps it current).
#include <string>
#include <vector>

#include "core/registry.h"

namespace sanity::api {

// Plain text of one kind (every kind when `kind` is empty): one synopsis line per entry
// ("integrated_gradients(steps=50, baseline=zero|uniform|blur, ...)  summary"), then its options.
// InputError for an unknown kind. "settings": the settings tables (settings_tables.h).
std::string listing(const std::string& kind = "");
// The same as markdown tables (docs/REGISTRY.md; "settings": docs/SETTINGS.md).
std::string listing_markdown(const std::string& kind = "");
// The entries of one kind, in listing order, for front ends that show them their own way (the
// Python module's sanity.methods()); InputError for an unknown kind.
std::vector<const RegistryEntry*> listing_entries(const std::string& kind);
// Synopsis lines only, for --help footers.
std::string synopsis(const std::string& kind);

}  // namespace sanity::api
