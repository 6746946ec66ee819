#pragma once
// One syntax for everything a user names with options (methods, LRP rules, composites, metrics,
// checks) in the CLI, config files and results:
//   name(key=value, ...)   e.g. integrated_gradients(steps=64, baseline=zero)
// Wrappers take the wrapped method as their first, positional argument:
//   smoothgrad(guided_backprop, n=50, sigma=0.15)    vargrad(integrated_gradients(steps=16))
#include <map>
#include <string>
#include <vector>

namespace sanity {

struct Spec {
  std::string name;
  std::vector<Spec> methods;                  // positional (wrapped) specs
  std::map<std::string, std::string> options;  // key=value, values as written

  // Canonical text: options sorted by key, no spaces after the name ("gradcam(layer=conv2)").
  std::string str() const;
  bool has(const std::string& key) const { return options.count(key) > 0; }
  // Typed option access; throw InputError naming the spec (a method, rule, metric or check), the
  // option and what was expected.
  double get_double(const std::string& key, double fallback) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
};

// How deep specs may nest: deeper wrappers multiply the work without end (smoothgrad of smoothgrad
// of ... is n^depth passes per image) and are never what anyone means.
inline constexpr int kMaxSpecDepth = 8;

// The spec of a method: the name the attribution code uses for it.
using MethodSpec = Spec;

// Parses one spec; throws InputError pointing at the offending character.
Spec parse_method_spec(const std::string& text);
// Splits a comma-separated list at top level ("gradient,smoothgrad(gradient, n=10)") and parses each.
// An empty entry ("a,,b") or one given twice is an InputError; a blank list is empty.
std::vector<Spec> parse_method_list(const std::string& text);

}  // namespace sanity
