#include "metrics/distance.h"

#include <limits>

#include "metrics/registry.h"

namespace sanity {

torch::Tensor cosine_rows(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor x = a.to(torch::kFloat64), y = b.to(x.device(), torch::kFloat64);
  torch::Tensor nx = (x * x).sum(1), ny = (y * y).sum(1);
  torch::Tensor c = ((x * y).sum(1) / (nx * ny).sqrt()).clamp(-1.0, 1.0);
  return at::where((nx == 0) | (ny == 0), std::numeric_limits<double>::quiet_NaN(), c);
}

torch::Tensor mse_rows(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor x = a.to(torch::kFloat64), y = b.to(x.device(), torch::kFloat64);
  return (x - y).square().mean(1);
}

void register_distance_metrics(MetricRegistry& r) {
  r.add(rowwise_metric_info("cosine", "cosine similarity of the prepared maps", Direction::HigherIsMoreSimilar,
                            Preparation::Absolute, true, cosine_rows));
  r.add(rowwise_metric_info("mse", "mean squared error between the prepared maps", Direction::LowerIsMoreSimilar,
                            Preparation::Absolute, true, mse_rows));
}

}  // namespace sanity
