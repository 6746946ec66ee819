#include "faithfulness/regions.h"

#include <torch/torch.h>

#include "core/error.h"

namespace sanity {

int64_t region_count(int64_t height, int64_t width, int64_t patch) {
  return ((height + patch - 1) / patch) * ((width + patch - 1) / patch);
}

Tensor region_index(int64_t height, int64_t width, int64_t patch, torch::Device device) {
  if (patch < 1) throw InputError("patch " + std::to_string(patch) + ": expected a region side of at least 1 pixel");
  const int64_t columns = (width + patch - 1) / patch;
  const auto on = torch::TensorOptions(torch::kInt64).device(device);
  const Tensor rows = torch::arange(height, on).div(patch, "floor"), cols = torch::arange(width, on).div(patch, "floor");
  return rows.view({height, 1}) * columns + cols.view({1, width});
}

Tensor region_scores(const Tensor& attributions, int64_t patch) {
  if (attributions.dim() != 4) throw InputError("attributions: expected [N, C, H, W]");
  const int64_t n = attributions.size(0), h = attributions.size(2), w = attributions.size(3);
  const Tensor per_pixel = attributions.detach().to(torch::kFloat64).sum(1).reshape({n, h * w});
  const Tensor index = region_index(h, w, patch, per_pixel.device()).reshape({1, h * w}).expand({n, h * w});
  return torch::zeros({n, region_count(h, w, patch)}, per_pixel.options()).scatter_add_(1, index, per_pixel);
}

Tensor region_sizes(int64_t height, int64_t width, int64_t patch, torch::Device device) {
  const Tensor index = region_index(height, width, patch, device).reshape({-1});
  const auto on = torch::TensorOptions(torch::kFloat64).device(device);
  return torch::zeros({region_count(height, width, patch)}, on).scatter_add_(0, index, torch::ones({height * width}, on));
}

Tensor region_ranks(const Tensor& scores, PerturbationOrder order) {
  // A stable ascending sort of -score (MoRF) or score (LeRF): equal scores keep their index order.
  const Tensor key = order == PerturbationOrder::MoRF ? -scores : scores;
  const Tensor perm = std::get<1>(torch::sort(key, /*stable=*/true, /*dim=*/1, /*descending=*/false));
  const Tensor positions = torch::arange(scores.size(1), perm.options()).expand_as(perm).contiguous();
  return torch::empty_like(perm).scatter_(1, perm, positions);
}

Tensor pixel_ranks(const Tensor& attributions, int64_t patch, PerturbationOrder order) {
  const int64_t n = attributions.size(0), h = attributions.size(2), w = attributions.size(3);
  const torch::Device device = attributions.device();
  const Tensor ranks = region_ranks(region_scores(attributions, patch) / region_sizes(h, w, patch, device), order);
  const Tensor index = region_index(h, w, patch, device).reshape({1, h * w}).expand({n, h * w});
  return ranks.gather(1, index).view({n, 1, h, w});
}

}  // namespace sanity
