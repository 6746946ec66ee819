#include "faithfulness/curves.h"

#include <torch/torch.h>

namespace sanity {

torch::Tensor aopc(const torch::Tensor& curve) {
  const torch::Tensor c = curve.to(torch::kFloat64);
  return (c.narrow(1, 0, 1) - c).mean(1);
}

torch::Tensor area_under_curve(const torch::Tensor& curve) {
  const torch::Tensor c = curve.to(torch::kFloat64);
  const int64_t k = c.size(1) - 1;
  if (k < 1) return c.select(1, 0).clone();
  return (c.sum(1) - (c.select(1, 0) + c.select(1, k)) / 2) / double(k);
}

}  // namespace sanity
