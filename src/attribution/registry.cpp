#include "attribution/registry.h"

#include "core/error.h"

namespace sanity {

MethodRegistry& MethodRegistry::instance() {
  static MethodRegistry r;
  return r;
}

MethodRegistry::MethodRegistry() {
  // Each family of methods adds itself here.
  // Listed in this order in errors and help: the gradient family first, as the papers introduce them.
  register_gradient_methods(*this);
  register_wrapper_methods(*this);
  register_baseline_methods(*this);
  register_modified_backprop_methods(*this);
}

void MethodRegistry::add(MethodInfo info) { methods_.push_back(std::move(info)); }

const MethodInfo* MethodRegistry::find(const std::string& name) const {
  for (const auto& m : methods_)
    if (m.name == name) return &m;
  return nullptr;
}

MethodPtr MethodRegistry::make(const MethodSpec& spec) const {
  const MethodInfo* info = find(spec.name);
  if (!info) {
    std::string valid;
    for (const auto& m : methods_) valid += (valid.empty() ? "" : ", ") + m.name;
    throw InputError("unknown method '" + spec.name + "'; valid methods: " + valid);
  }
  for (const auto& [key, value] : spec.options) {
    if (std::find(info->options.begin(), info->options.end(), key) == info->options.end()) {
      std::string valid;
      for (const auto& o : info->options) valid += (valid.empty() ? "" : ", ") + o;
      throw InputError("method " + spec.name + ": unknown option '" + key + "'; valid options: " +
                       (valid.empty() ? "none" : valid));
    }
  }
  if (static_cast<int>(spec.methods.size()) != info->wrapped)
    throw InputError("method " + spec.name + " takes " + std::to_string(info->wrapped) +
                     " wrapped method(s), got " + std::to_string(spec.methods.size()) +
                     (info->wrapped ? " (write " + spec.name + "(gradient, ...))" : ""));
  return info->make(spec);
}

}  // namespace sanity
