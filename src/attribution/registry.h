#pragma once
// Method names -> factories. Each family registers itself in registry.cpp (explicit calls, since
// self-registering statics are dropped when linking a static library).
#include <functional>
#include <string>
#include <vector>

#include "attribution/method.h"

namespace sanity {

struct MethodInfo {
  std::string name;
  std::string summary;                   // one line for --help and error messages
  std::vector<std::string> options;      // valid option keys
  int wrapped = 0;                       // number of positional methods it wraps (smoothgrad: 1)
  std::function<MethodPtr(const MethodSpec&)> make;
};

class MethodRegistry {
 public:
  static MethodRegistry& instance();
  void add(MethodInfo info);
  // Builds a method; throws InputError listing the valid names or options.
  MethodPtr make(const MethodSpec& spec) const;
  MethodPtr make(const std::string& text) const { return make(parse_method_spec(text)); }
  const std::vector<MethodInfo>& methods() const { return methods_; }
  const MethodInfo* find(const std::string& name) const;

 private:
  MethodRegistry();
  std::vector<MethodInfo> methods_;
};

// Family registration functions, one per source file of methods.
void register_gradient_methods(MethodRegistry& r);
void register_wrapper_methods(MethodRegistry& r);
void register_baseline_methods(MethodRegistry& r);
void register_modified_backprop_methods(MethodRegistry& r);

}  // namespace sanity
