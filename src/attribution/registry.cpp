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

}  // namespace sanity
