#include "api/inputs.h"

#include <filesystem>

#include "attribution/pattern.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "data/sources.h"

namespace sanity::api {

std::vector<MethodPtr> make_methods(const std::vector<MethodSpec>& specs, const std::string& option) {
  if (specs.empty())
    throw InputError(option + ": empty; give a comma-separated list such as gradient,smoothgrad(gradient)");
  std::vector<MethodPtr> out;
  for (const auto& s : specs) out.push_back(MethodRegistry::instance().make(s));
  return out;
}

Tensor choose_targets(const std::string& how, const Dataset& data, const Tensor& predicted, int64_t classes) {
  if (how == "predicted") return predicted;
  if (how == "true") {
    if (data.labels.numel() && data.labels.min().item<int64_t>() < 0)
      throw InputError("--target true: " + data.name + " has no labels for some images (give --labels)");
    if (data.labels.numel() && data.labels.max().item<int64_t>() >= classes)
      throw InputError("--target true: a label is >= the model's " + std::to_string(classes) + " outputs");
    return data.labels.clone();
  }
  char* end = nullptr;
  const long long c = std::strtoll(how.c_str(), &end, 10);
  if (how.empty() || *end || c < 0 || c >= classes)
    throw InputError("--target " + how + ": expected predicted, true, or a class 0.." + std::to_string(classes - 1));
  return torch::full({data.size()}, static_cast<int64_t>(c), torch::kInt64);
}

void FitContext::apply(AttributionContext& ctx) const {
  if (data.size() > 0) ctx.fit_data = &data;
  ctx.cache_dir = cache_dir;
}

FitContext load_fit_context(const FitSource& f, const DataOptions& data_options, const std::string& model,
                            const std::vector<MethodSpec>& specs) {
  FitContext c;
  if (std::filesystem::path(model).extension() == ".onnx")
    c.cache_dir = std::filesystem::absolute(model).parent_path().string();
  bool needed = false;
  for (const auto& s : specs) needed = needed || fits_on_data(s);
  const std::string source = !f.data.empty() ? f.data : (is_builtin_dataset(data_options.spec) ? data_options.spec : "");
  if (!needed || source.empty()) return c;  // a pattern method then looks for a saved patterns file
  DataOptions o = data_options;
  o.spec = source;
  o.split = "train";
  o.labels.clear();
  o.testbed.count = f.count;
  o.testbed.balanced = false;
  c.data = load_data(o).data;
  return c;
}

}  // namespace sanity::api
