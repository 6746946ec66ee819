#include "attribution/callable_method.h"

#include <algorithm>
#include <cctype>

#include "attribution/registry.h"
#include "core/progress.h"

namespace sanity {

namespace {

std::string shape_text(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

class CallableMethod : public Method {
 public:
  explicit CallableMethod(std::shared_ptr<const CallableMethodDef> def) : def_(std::move(def)) {}

  MethodSpec spec() const override { return {def_->name, {}, {{"version", def_->version}}}; }
  MapKind map_kind() const override { return def_->kind; }

  // Calls the function on chunks of the method's own batch size; what it returns is checked here and,
  // for NaN and Inf, by every caller (require_finite_maps).
  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    const int64_t chunk = def_->batch_size > 0 ? def_->batch_size : std::max<int64_t>(1, ctx.batch_size);
    Tensors parts;
    for (int64_t i = 0; i < x.size(0); i += chunk) {
      if (i > 0) interruption_point();
      const int64_t n = std::min(chunk, x.size(0) - i);
      const Tensor xi = x.narrow(0, i, n);
      parts.push_back(maps_like_input(def_->maps(ctx.model, xi, targets.narrow(0, i, n)), xi, def_->name));
    }
    return parts.size() == 1 ? parts.front() : torch::cat(parts, 0);
  }

 private:
  std::shared_ptr<const CallableMethodDef> def_;
};

void require_identifier(const std::string& name) {
  const bool ok = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                  std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (!ok)
    throw InputError("method name '" + name + "': expected letters, digits and '_' (a name a spec can hold); "
                     "give name=");
}

}  // namespace

Tensor maps_like_input(const Tensor& maps, const Tensor& x, const std::string& method) {
  if (maps.sizes() == x.sizes()) return maps;
  if (maps.dim() == 3 && maps.size(0) == x.size(0) && maps.size(1) == x.size(2) && maps.size(2) == x.size(3))
    return maps.unsqueeze(1).expand_as(x).contiguous();
  throw InputError("method " + method + ": returned maps of shape " + shape_text(maps.sizes()) +
                   " for inputs of shape " + shape_text(x.sizes()) + "; expected " + shape_text(x.sizes()) +
                   " or " + shape_text({x.size(0), x.size(2), x.size(3)}));
}

ScopedMethod::ScopedMethod(CallableMethodDef def) : name_(def.name) {
  require_identifier(name_);
  MethodRegistry& registry = MethodRegistry::instance();
  if (registry.find(name_))
    throw InputError("method name '" + name_ + "' is taken (" + registry.get(name_).summary +
                     "); give the function another name=");
  auto shared = std::make_shared<const CallableMethodDef>(std::move(def));
  MethodInfo info;
  info.name = name_;
  info.summary = shared->summary;
  info.options = {text_option("version", shared->version, "the function's version (its source's hash by default)")};
  info.family = families::kCustom;
  info.make = [shared](const MethodSpec&) { return std::make_shared<CallableMethod>(shared); };
  registry.add(std::move(info));
  open_ = true;
}

void ScopedMethod::close() {
  if (open_) MethodRegistry::instance().remove(name_);
  open_ = false;
}

}  // namespace sanity
