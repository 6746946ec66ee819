#pragma once
// Method names -> declared options and factories (core/registry.h). Each family registers itself in
// registry.cpp by an explicit call; its factory receives the spec resolved against its options.
#include <functional>
#include <string>
#include <vector>

#include "attribution/method.h"
#include "core/registry.h"

namespace sanity {

// The report's panels (Adebayo et al. and Sixt et al. group methods so): where each method belongs.
namespace families {
inline constexpr const char* kGradient = "gradient";
inline constexpr const char* kModifiedBackprop = "modified backprop";
inline constexpr const char* kLrp = "LRP";
inline constexpr const char* kBaselines = "baselines";
// Methods brought by the user at run time (attribution/callable_method.h); also the family of a
// stored method the registry does not know, since only those leave it.
inline constexpr const char* kCustom = "custom";
}  // namespace families

struct MethodInfo : RegistryEntry {
  std::function<MethodPtr(const MethodSpec& resolved)> make;
  // One of families::k*; a wrapper (wrapped > 0) leaves it empty and takes its inner method's.
  std::string family;
};

// IG steps times noise-tunnel copies, multiplied through the nesting: 10^7 passes per image is
// weeks of CPU time for one ImageNet image; beyond it a spec is a typo, not a plan.
inline constexpr int64_t kMaxPassesPerImage = 10000000;
// Forward and backward passes per image a resolved spec asks for (steps and n, multiplied).
int64_t passes_per_image(const MethodSpec& spec);

class MethodRegistry : public Registry<MethodInfo> {
 public:
  static MethodRegistry& instance();
  // Builds a method; throws InputError listing the valid names or options, or when the method
  // would run more than kMaxPassesPerImage forward and backward passes per image.
  MethodPtr make(const MethodSpec& spec) const;
  MethodPtr make(const std::string& text) const { return make(parse_method_spec(text)); }
  const std::vector<MethodInfo>& methods() const { return entries(); }
  // The family a method declares; a wrapper's is its (first) inner method's; "" for an unknown name.
  std::string family_of(const MethodSpec& spec) const;

 private:
  MethodRegistry();
};

// Family registration functions, one per source file of methods.
void register_gradient_methods(MethodRegistry& r);
void register_wrapper_methods(MethodRegistry& r);
void register_baseline_methods(MethodRegistry& r);
void register_modified_backprop_methods(MethodRegistry& r);

}  // namespace sanity
