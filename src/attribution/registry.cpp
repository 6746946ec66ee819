#include "attribution/registry.h"

namespace sanity {

MethodRegistry& MethodRegistry::instance() {
  static MethodRegistry r;
  return r;
}

MethodRegistry::MethodRegistry() : Registry("method", "methods") {
  // Listed in this order in errors and help: the gradient family first, as the papers introduce them.
  register_gradient_methods(*this);
  register_wrapper_methods(*this);
  register_baseline_methods(*this);
  register_modified_backprop_methods(*this);
}

std::string MethodRegistry::family_of(const MethodSpec& spec) const {
  const MethodInfo* info = find(spec.name);
  if (!info) return "";
  if (info->wrapped > 0 && !spec.methods.empty()) return family_of(spec.methods.front());
  return info->family;
}

int64_t passes_per_image(const MethodSpec& spec) {
  int64_t passes = std::max<int64_t>(1, spec.get_int("steps", 1)) * std::max<int64_t>(1, spec.get_int("n", 1));
  for (const auto& inner : spec.methods) {
    const int64_t p = passes_per_image(MethodRegistry::instance().resolve(inner));
    passes = p > kMaxPassesPerImage || passes > kMaxPassesPerImage / p ? kMaxPassesPerImage + 1 : passes * p;
  }
  return std::min(passes, kMaxPassesPerImage + 1);
}

MethodPtr MethodRegistry::make(const MethodSpec& spec) const {
  const MethodSpec resolved = resolve(spec);
  if (passes_per_image(resolved) > kMaxPassesPerImage)
    throw InputError("method " + spec.str() + ": asks for more than " + std::to_string(kMaxPassesPerImage) +
                     " forward and backward passes per image (IG steps times noisy copies, through the nesting); "
                     "lower steps or n");
  return get(spec.name).make(resolved);
}

}  // namespace sanity
