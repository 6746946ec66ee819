#include "metrics/ssim.h"

#include <cmath>

#include "core/error.h"
#include "metrics/registry.h"

namespace sanity {
namespace {

// scipy.ndimage's Gaussian kernel: exp(-x^2 / (2 sigma^2)) on -r..r, normalized to sum 1.
torch::Tensor gaussian_kernel(double sigma, int64_t radius, const torch::Device& device) {
  torch::Tensor x = torch::arange(-radius, radius + 1, torch::TensorOptions(torch::kFloat64).device(device));
  torch::Tensor k = torch::exp(-0.5 / (sigma * sigma) * x * x);
  return k / k.sum();
}

// Separable Gaussian filter without padding: skimage discards the border strip of one radius, the
// only pixels where its reflect padding would matter, so a "valid" filter gives the kept pixels.
torch::Tensor filter_valid(const torch::Tensor& x, const torch::Tensor& k) {
  const int64_t w = k.size(0);
  torch::Tensor y = torch::conv2d(x, k.view({1, 1, 1, w}));
  return torch::conv2d(y, k.view({1, 1, w, 1}));
}

class SsimMetric : public Metric {
 public:
  SsimMetric(const MetricSpec& spec, Direction d) : Metric(spec, d) {
    options_.data_range = spec.get_double("data_range", 1.0);
  }

 protected:
  torch::Tensor score(const torch::Tensor& original, const torch::Tensor& other) const override {
    return ssim(prepare_maps(original, Preparation::Unit), prepare_maps(other, Preparation::Unit), options_);
  }

 private:
  SsimOptions options_;
};

}  // namespace

torch::Tensor ssim(const torch::Tensor& a, const torch::Tensor& b, const SsimOptions& o) {
  const int64_t radius = static_cast<int64_t>(3.5 * o.sigma + 0.5), win = 2 * radius + 1;
  const int64_t n = a.size(0), c = a.size(1), h = a.size(2), w = a.size(3);
  if (h < win || w < win)
    throw InputError("ssim: maps of " + std::to_string(h) + "x" + std::to_string(w) + " pixels are smaller than the " +
                     std::to_string(win) + "x" + std::to_string(win) + " window");
  torch::Tensor x = a.to(torch::kFloat64).reshape({n * c, 1, h, w});
  torch::Tensor y = b.to(x.device(), torch::kFloat64).reshape({n * c, 1, h, w});
  const torch::Tensor k = gaussian_kernel(o.sigma, radius, x.device());
  const double cov_norm = static_cast<double>(win * win) / static_cast<double>(win * win - 1);  // sample covariance
  torch::Tensor ux = filter_valid(x, k), uy = filter_valid(y, k);
  torch::Tensor vx = cov_norm * (filter_valid(x * x, k) - ux * ux);
  torch::Tensor vy = cov_norm * (filter_valid(y * y, k) - uy * uy);
  torch::Tensor vxy = cov_norm * (filter_valid(x * y, k) - ux * uy);
  const double c1 = std::pow(o.k1 * o.data_range, 2), c2 = std::pow(o.k2 * o.data_range, 2);
  torch::Tensor s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  return s.reshape({n, c, -1}).mean(2).mean(1);
}

void register_ssim_metric(MetricRegistry& r) {
  Option range = number_option("data_range", 1, "the data range in the SSIM constants (2 reproduces the authors' call)");
  range.check = [](const std::string& v) { return std::stod(v) > 0 ? "" : "must be a positive number"; };
  r.add({{"ssim", "structural similarity (Gaussian 11x11 window) of the maps min-max scaled to [0, 1]", {range}},
         Direction::HigherIsMoreSimilar,
         [](const MetricSpec& s, const MetricInfo& i) -> MetricPtr { return std::make_shared<SsimMetric>(s, i.direction); }});
}

}  // namespace sanity
