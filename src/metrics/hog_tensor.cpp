// skimage's HOG (hog.h) as tensor code, for maps on any device: the same arithmetic as the CPU's
// loop in hog.cpp, element for element, except the sums of squares in the block normalization, whose
// order differs (the last bits of a feature; tested against the loop by test_device's
// Device.MetricsAsTensorCodeGiveTheCpuLoopsValues).
#include <cmath>

#include "metrics/hog.h"

namespace sanity {
namespace {

using torch::Tensor;

// Central differences along `dim`, zero on the first and last row (column) as skimage's.
Tensor central_difference(const Tensor& x, int64_t dim) {
  const int64_t n = x.size(dim);
  Tensor g = torch::zeros_like(x);
  if (n > 2) g.narrow(dim, 1, n - 2).copy_(x.narrow(dim, 2, n - 2) - x.narrow(dim, 0, n - 2));
  return g;
}

// [N, H, W] -> [N, cells_r, cells_c, cell * cell]: each cell's pixels in row-major order, the order
// in which skimage adds them.
Tensor by_cell(const Tensor& x, const HogOptions& o) {
  const int64_t n = x.size(0), cr = x.size(1) / o.cell, cc = x.size(2) / o.cell;
  return x.narrow(1, 0, cr * o.cell)
      .narrow(2, 0, cc * o.cell)
      .reshape({n, cr, o.cell, cc, o.cell})
      .permute({0, 1, 3, 2, 4})
      .reshape({n, cr, cc, o.cell * o.cell});
}

// Cell histograms [N, cells_r, cells_c, bins]: each pixel's magnitude in the bin [lo, hi) holding
// its orientation, added pixel by pixel in float32 as skimage's C float does (a sum in float64
// rounded once would differ in the last bit).
Tensor cell_histograms(const Tensor& magnitude, const Tensor& orientation, const HogOptions& o) {
  const double per_bin = 180.0 / static_cast<double>(o.orientations);
  std::vector<double> lo, hi;
  for (int64_t b = 0; b < o.orientations; ++b) {
    lo.push_back(per_bin * static_cast<double>(b));
    hi.push_back(per_bin * static_cast<double>(b + 1));
  }
  const auto opts = magnitude.options();
  const Tensor a = by_cell(orientation, o).unsqueeze(-1), m = by_cell(magnitude, o).unsqueeze(-1);
  const Tensor in_bin = (a >= torch::tensor(lo, opts)) & (a < torch::tensor(hi, opts));
  const Tensor votes = torch::where(in_bin, m, 0.0);  // [N, cr, cc, cell * cell, bins]
  Tensor total = torch::zeros({votes.size(0), votes.size(1), votes.size(2), o.orientations},
                              opts.dtype(torch::kFloat32));
  for (int64_t k = 0; k < votes.size(3); ++k)
    total = (total.to(torch::kFloat64) + votes.select(3, k)).to(torch::kFloat32);
  return (total / static_cast<float>(o.cell * o.cell)).to(torch::kFloat64);
}

// L2-Hys per block of block x block cells sliding by one cell: [N, D] in skimage's order.
Tensor block_normalize(const Tensor& hist, const HogOptions& o) {
  const double eps2 = 1e-5 * 1e-5;
  const Tensor blocks = hist.unfold(1, o.block, 1).unfold(2, o.block, 1)  // [N, br, bc, bins, i, j]
                            .permute({0, 1, 2, 4, 5, 3})
                            .reshape({hist.size(0), -1, o.block * o.block * o.orientations});
  Tensor v = (blocks / (blocks.square().sum(2, true) + eps2).sqrt()).clamp_max(0.2);
  v = v / (v.square().sum(2, true) + eps2).sqrt();
  return v.reshape({hist.size(0), -1});
}

}  // namespace

Tensor hog_features_tensor(const Tensor& x, const HogOptions& o) {
  const Tensor gr = central_difference(x, 1), gc = central_difference(x, 2);
  const Tensor magnitude = torch::hypot(gc, gr);
  // numpy's rad2deg(arctan2(gr, gc)) % 180, as orientation_degrees in hog.cpp.
  const Tensor mod = torch::fmod(torch::atan2(gr, gc) * (180.0 / M_PI), 180.0);
  const Tensor orientation = torch::where(mod < 0, mod + 180.0, mod);
  return block_normalize(cell_histograms(magnitude, orientation, o), o);
}

}  // namespace sanity
