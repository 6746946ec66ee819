#pragma once
// Method names -> declared options and factories (core/registry.h). Each family registers itself in
// registry.cpp by an explicit call; its factory receives the spec resolved against its options.
#include <functional>
#include <string>
#include <vector>

#include "attribution/method.h"
#include "core/registry.h"

namespace sanity {

struct MethodInfo : RegistryEntry {
  std::function<MethodPtr(const MethodSpec& resolved)> make;
};

class MethodRegistry : public Registry<MethodInfo> {
 public:
  static MethodRegistry& instance();
  // Builds a method; throws InputError listing the valid names or options.
  MethodPtr make(const MethodSpec& spec) const { return get(spec.name).make(resolve(spec)); }
  MethodPtr make(const std::string& text) const { return make(parse_method_spec(text)); }
  const std::vector<MethodInfo>& methods() const { return entries(); }

 private:
  MethodRegistry();
};

// Family registration functions, one per source file of methods.
void register_gradient_methods(MethodRegistry& r);
void register_wrapper_methods(MethodRegistry& r);
void register_baseline_methods(MethodRegistry& r);
void register_modified_backprop_methods(MethodRegistry& r);

}  // namespace sanity
