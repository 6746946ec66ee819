#pragma once
// One registry shape for every kind of thing a user names in a spec: attribution methods, LRP
// rules, LRP composites, metrics and checks. An entry declares its name, a one-line summary, its
// options (core/options.h) and how many specs it wraps; each kind adds its factory:
//
//   struct MethodInfo : RegistryEntry { std::function<MethodPtr(const Spec&)> make; };
//   Registry<MethodInfo> methods("method", "methods");
//   methods.add({{"gradient", "dS_c/dx", {}}, make_gradient});
//   const Spec full = methods.resolve(parse_method_spec("integrated_gradients(steps=8)"));
//
// resolve() is the single place that says "unknown method 'x'; valid methods: ...", checks the
// options and the number of wrapped specs, and fills in every default; factories receive the
// resolved spec and read typed values that can no longer be wrong. Entries keep the order they
// were added in (the order of errors, --help and `sanity list`). Families register by explicit
// calls (self-registering statics are dropped when linking a static library).
#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/options.h"
#include "core/spec.h"

namespace sanity {

struct RegistryEntry {
  std::string name;
  std::string summary;          // one line for --help, listings and errors
  std::vector<Option> options;  // declared options, in the order listings show them
  int wrapped = 0;              // positional specs it wraps: smoothgrad(M) wraps 1
};

// One line per entry: "integrated_gradients(steps=50, baseline=zero|uniform|blur, ...)  summary".
std::string entry_synopsis(const RegistryEntry& e);
// The entry's options as indented lines: "    steps=50  integer >= 1  path points m".
std::string entry_option_lines(const RegistryEntry& e);

template <class Entry>
class Registry {
 public:
  Registry(std::string kind, std::string plural) : kind_(std::move(kind)), plural_(std::move(plural)) {}

  void add(Entry e) { entries_.push_back(std::move(e)); }
  // Entries added while a program runs (a Python function as a method) leave when it is done.
  void remove(const std::string& name) {
    std::erase_if(entries_, [&](const Entry& e) { return e.name == name; });
  }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& kind() const { return kind_; }
  const std::string& plural() const { return plural_; }

  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  // The entry named `name`; InputError listing the valid names otherwise.
  const Entry& get(const std::string& name) const {
    if (const Entry* e = find(name)) return *e;
    throw InputError("unknown " + kind_ + " '" + name + "'; valid " + plural_ + ": " + names());
  }
  std::string names() const {
    std::string s;
    for (const auto& e : entries_) s += (s.empty() ? "" : ", ") + e.name;
    return s;
  }
  // The spec checked against its entry, every default filled in (wrapped specs untouched).
  Spec resolve(const Spec& given) const {
    const Entry& e = get(given.name);
    const std::string what = kind_ + " " + given.name;
    if (static_cast<int>(given.methods.size()) != e.wrapped)
      throw InputError(what + " takes " + std::to_string(e.wrapped) + " wrapped " + kind_ + "(s), got " +
                       std::to_string(given.methods.size()) +
                       (e.wrapped ? " (write " + given.name + "(gradient, ...))" : " (options are key=value)"));
    return resolve_options(given, e.options, what);
  }
  // Every entry with its options and defaults, one block each (`sanity list`, --help).
  std::string describe() const {
    std::string s;
    for (const auto& e : entries_) s += entry_synopsis(e) + "\n" + entry_option_lines(e);
    return s;
  }

 private:
  std::string kind_, plural_;
  std::vector<Entry> entries_;
};

}  // namespace sanity
