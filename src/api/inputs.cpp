#include "api/inputs.h"

#include <filesystem>

#include "attribution/pattern.h"
#include "attribution/registry.h"
#include "core/error.h"
#include "core/options.h"
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

Tensor checked_classes(const Tensor& classes, int64_t images, int64_t outputs, const std::string& option) {
  if (classes.is_floating_point() || classes.scalar_type() == torch::kBool)
    throw InputError(option + ": expected integer classes, got " + std::string(c10::toString(classes.scalar_type())));
  if (classes.dim() != 1 || classes.size(0) != images)
    throw InputError(option + ": expected one class per image (" + std::to_string(images) + "), got shape " +
                     c10::str(classes.sizes()));
  const Tensor c = classes.to(torch::kCPU, torch::kInt64).contiguous();
  if (images > 0 && (c.min().item<int64_t>() < 0 || c.max().item<int64_t>() >= outputs))
    throw InputError(option + ": a class is outside the model's outputs 0.." + std::to_string(outputs - 1));
  return c.clone();
}

void apply_preprocess(DataOptions& o, bool imagenet, const std::vector<double>& mean, const std::vector<double>& std) {
  const size_t c = static_cast<size_t>(std::max<int64_t>(o.preprocess.channels, 1));
  o.preprocess.mean.assign(c, 0.0);
  o.preprocess.std.assign(c, 1.0);
  if (imagenet) {
    const ImagePreprocess in = imagenet_preprocess();
    o.preprocess.mean = in.mean;
    o.preprocess.std = in.std;
    if (o.preprocess.resize < 0) o.preprocess.resize = in.resize;
    if (o.preprocess.crop < 0) o.preprocess.crop = in.crop;
  }
  if (!mean.empty()) o.preprocess.mean = mean;
  if (!std.empty()) o.preprocess.std = std;
  std::string given;
  for (double s : o.preprocess.std) given += (given.empty() ? "" : ",") + format_number(s);
  for (double s : o.preprocess.std)
    if (s <= 0) throw InputError("--std " + given + ": values must be positive");
}

void FitContext::apply(AttributionContext& ctx) const {
  if (data.size() > 0) ctx.fit_data = &data;
  ctx.cache_dir = cache_dir;
}

void FitContext::apply(ExplainOptions& options) const {
  if (data.size() > 0) options.fit_data = &data;
  options.cache_dir = cache_dir;
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
