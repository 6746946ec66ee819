#include "api/listing.h"

#include "api/settings_tables.h"
#include "attribution/composites.h"
#include "attribution/lrp_rules.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "metrics/registry.h"
#include "study/checks/check.h"

namespace sanity::api {
namespace {

struct Kind {
  std::string name, title, note;
  std::vector<const RegistryEntry*> entries;
};

template <class R>
Kind kind_of(std::string name, std::string title, std::string note, const R& registry) {
  Kind k{std::move(name), std::move(title), std::move(note), {}};
  for (const auto& e : registry.entries()) k.entries.push_back(&e);
  return k;
}

std::vector<Kind> kinds() {
  return {kind_of("methods", "Attribution methods",
                  "`sanity explain/check/faithfulness --methods`; wrappers take a method first: "
                  "`smoothgrad(guided_backprop, n=50)`",
                  MethodRegistry::instance()),
          kind_of("rules", "LRP rules", "entries of a rules file (`lrp_z(rules=FILE.json)`, composites.h)",
                  RuleRegistry::instance()),
          kind_of("composites", "LRP composites", "each is also a method of the same name, with option rules=FILE",
                  CompositeRegistry::instance()),
          kind_of("metrics", "Similarity metrics", "`sanity check --metrics`", MetricRegistry::instance()),
          kind_of("checks", "Sanity checks", "`sanity check --checks`; the study config's `checks`",
                  CheckRegistry::instance())};
}

std::vector<Kind> select(const std::string& kind) {
  std::vector<Kind> all = kinds(), out;
  for (auto& k : all)
    if (kind.empty() || k.name == kind) out.push_back(std::move(k));
  if (out.empty()) {
    std::string valid;
    for (const auto& k : all) valid += (valid.empty() ? "" : ", ") + k.name;
    throw InputError("sanity list " + kind + ": unknown kind; valid kinds: " + valid + ", settings");
  }
  return out;
}

std::string cell(std::string s) {
  for (size_t at = 0; (at = s.find('|', at)) != std::string::npos; at += 2) s.replace(at, 1, "\\|");
  return s;
}

}  // namespace

std::string listing(const std::string& kind) {
  if (kind == "settings") return settings_text();
  std::string s;
  for (const auto& k : select(kind)) {
    s += k.title + " (" + k.note + "):\n";
    for (const RegistryEntry* e : k.entries) s += "  " + entry_synopsis(*e) + "\n" + entry_option_lines(*e);
    s += "\n";
  }
  return s;
}

std::vector<const RegistryEntry*> listing_entries(const std::string& kind) {
  std::vector<Kind> k = select(kind);
  if (k.size() != 1) throw InputError("listing: give one kind of " + std::to_string(k.size()));
  return k.front().entries;
}

std::string synopsis(const std::string& kind) {
  std::string s;
  for (const auto& k : select(kind))
    for (const RegistryEntry* e : k.entries) s += "  " + entry_synopsis(*e) + "\n";
  return s;
}

std::string listing_markdown(const std::string& kind) {
  if (kind == "settings") return settings_markdown();
  std::string s = kind.empty() ? "# Methods, rules, composites, metrics and checks\n\n"
                                 "Generated from the registries by `sanity list --markdown` (a test keeps this file "
                                 "current). Every spec uses one syntax, `name(key=value, ...)`; an option left out "
                                 "takes the default shown. `sanity list` prints the same as text.\n\n"
                               : "";
  for (const auto& k : select(kind)) {
    s += "## " + k.title + "\n\n" + k.note + ".\n\n| name | options (default) | what it is |\n|---|---|---|\n";
    for (const RegistryEntry* e : k.entries) {
      std::string options;
      for (const Option& o : e->options)
        options += (options.empty() ? "" : "<br>") + std::string("`") + o.key + "` = " +
                   (o.fallback.empty() ? "(none)" : "`" + o.fallback + "`") + " (" + cell(option_type_text(o)) +
                   "): " + cell(o.help);
      const std::string name = e->wrapped ? e->name + "(M)" : e->name;
      s += "| `" + name + "` | " + options + " | " + cell(e->summary) + " |\n";
    }
    s += "\n";
  }
  return s;
}

}  // namespace sanity::api
