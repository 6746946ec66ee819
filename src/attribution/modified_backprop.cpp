#include "attribution/modified_backprop.h"

namespace sanity {

void register_modified_backprop_methods(MethodRegistry& r) {
  register_lrp_methods(r);
  register_deeplift_method(r);
  register_rectgrad_method(r);
  register_pattern_methods(r);
}

}  // namespace sanity
