#include "attribution/explain_batch.h"

#include "core/progress.h"

namespace sanity {

Tensor explain_all(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                   const Tensor& ids, const ExplainOptions& o, std::map<std::string, Tensor>* diagnostics) {
  const auto device = model.device();
  Tensors out;
  std::map<std::string, Tensors> diag_parts;
  for (int64_t i = 0; i < images.size(0); i += o.batch_size) {
    interruption_point();
    const int64_t n = std::min(o.batch_size, images.size(0) - i);
    std::map<std::string, Tensor> diag;
    AttributionContext ctx{model, o.batch_size, o.seed, ids.narrow(0, i, n), diagnostics ? &diag : nullptr};
    ctx.fit_data = o.fit_data;
    ctx.cache_dir = o.cache_dir;
    ctx.save_fitted = o.save_fitted;
    Tensor e = method.attribute(ctx, images.narrow(0, i, n).to(device), targets.narrow(0, i, n).to(device));
    require_finite_maps(e, method.spec().str(), ctx.image_ids);
    out.push_back(e.detach().to(torch::kCPU));
    for (auto& [k, v] : diag) diag_parts[k].push_back(v.detach().to(torch::kCPU));
  }
  if (diagnostics)
    for (auto& [k, parts] : diag_parts) (*diagnostics)[k] = torch::cat(parts, 0);
  return torch::cat(out, 0);
}

}  // namespace sanity
