#include "attribution/explain_batch.h"

#include "core/error.h"
#include "core/progress.h"

namespace sanity {

namespace {

// The maps of rows [i, i + n) of x, checked, on the model's device: they stay there until written
// (the metrics and checks run where the model does).
Tensor explain_rows(const Method& method, const Graph& model, const Tensor& x, const Tensor& targets, const Tensor& ids,
                    int64_t i, int64_t n, const ExplainOptions& o, std::map<std::string, Tensor>* diagnostics) {
  AttributionContext ctx{model, o.batch_size, o.seed, ids.narrow(0, i, n), diagnostics};
  ctx.fit_data = o.fit_data;
  ctx.cache_dir = o.cache_dir;
  ctx.save_fitted = o.save_fitted;
  try {
    const Tensor e = attribute_at(o.precision, method, ctx, x, targets.narrow(0, i, n).to(model.device()));
    require_finite_maps(e, method.spec().str(), ctx.image_ids);
    return e.detach();
  } catch (const InputError& e) {  // a method's bad maps: say on which model state
    const auto state = model.metadata.find(kModelState);
    if (state == model.metadata.end()) throw;
    throw InputError(std::string(e.what()) + " (model state: " + state->second + ")");
  }
}

}  // namespace

Tensor attribute_at(Precision precision, const Method& method, const AttributionContext& ctx, const Tensor& x,
                    const Tensor& targets) {
  Tensor e;
  {
    PrecisionScope scope(precision, ctx.model.device());
    e = method.attribute(ctx, x, targets);
  }
  return precision == Precision::kFloat32 ? e : e.to(torch::kFloat32);  // a method's last step may be in bf16
}

int64_t images_per_call(const Method& method, int64_t batch_size) {
  return std::max<int64_t>(1, batch_size / std::max<int64_t>(1, method.rows_per_image()));
}

Tensor explain_all(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                   const Tensor& ids, const ExplainOptions& o, std::map<std::string, Tensor>* diagnostics) {
  const auto device = model.device();
  const int64_t chunk = images_per_call(method, o.batch_size);
  Tensors out;
  std::map<std::string, Tensors> diag_parts;
  for (int64_t i = 0; i < images.size(0); i += chunk) {
    interruption_point();
    const int64_t n = std::min(chunk, images.size(0) - i);
    std::map<std::string, Tensor> diag;
    out.push_back(explain_rows(method, model, images.narrow(0, i, n).to(device), targets, ids, i, n, o,
                               diagnostics ? &diag : nullptr));
    for (auto& [k, v] : diag) diag_parts[k].push_back(v.detach().to(torch::kCPU));
  }
  if (diagnostics)
    for (auto& [k, parts] : diag_parts) (*diagnostics)[k] = torch::cat(parts, 0);
  return torch::cat(out, 0);
}

std::vector<Tensor> explain_together(const Method& method, const std::vector<const Graph*>& models,
                                     const Tensor& images, const std::vector<Tensor>& targets, const Tensor& ids,
                                     const ExplainOptions& o) {
  if (targets.size() != models.size()) throw std::logic_error("explain_together: one target tensor per model");
  const int64_t chunk = images_per_call(method, o.batch_size);
  std::vector<Tensors> parts(models.size());
  for (int64_t i = 0; i < images.size(0); i += chunk) {
    interruption_point();
    const int64_t n = std::min(chunk, images.size(0) - i);
    const Tensor x = images.narrow(0, i, n);  // one tensor for every model: a pass finds its rows at once
    for (size_t k = 0; k < models.size(); ++k)
      parts[k].push_back(
          explain_rows(method, *models[k], x.to(models[k]->device()), targets[k], ids, i, n, o, nullptr));
  }
  std::vector<Tensor> out;
  for (const Tensors& p : parts) out.push_back(torch::cat(p, 0));
  return out;
}

}  // namespace sanity
