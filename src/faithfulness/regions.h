#pragma once
// Regions of an image and the order in which a faithfulness measure perturbs them (Samek et al. 2017).
// A region is a patch x patch square of the pixel grid (patch = 1: single pixels), tiled row-major
// from the top-left corner; at the right and bottom borders the last regions are cut short when the
// image size is not a multiple of the patch (28 = 3 x 9 + 1 for MNIST: 9x1, 1x9 and 1x1 regions).
// Regions are ordered by their mean attribution per pixel, so such short regions compete on equal
// terms: ordered by sums, a 9x9 patch of |noise| outranks a 9x1 strip by its size alone, and an
// uninformative magnitude map would score as if it were faithful.
#include <cstdint>

#include <torch/types.h>

namespace sanity {

using Tensor = torch::Tensor;

enum class PerturbationOrder {
  MoRF,  // most relevant first: largest mean attribution first
  LeRF,  // least relevant first
};

// Number of regions of an H x W image.
int64_t region_count(int64_t height, int64_t width, int64_t patch);

// [H, W] int64 on `device`: the region of each pixel (patch row * patch columns + patch column).
Tensor region_index(int64_t height, int64_t width, int64_t patch, torch::Device device = torch::kCPU);

// [N, C, H, W] attributions -> [N, R] float64: each region's attribution summed over its pixels and
// the channels (signed, as Samek et al.: negative evidence counts against a region).
Tensor region_scores(const Tensor& attributions, int64_t patch);

// [R] float64 on `device`: the number of pixels of each region (patch * patch, less at the borders).
Tensor region_sizes(int64_t height, int64_t width, int64_t patch, torch::Device device = torch::kCPU);

// [N, R] scores -> [N, R] int64 position of each region in the perturbation order (0: perturbed
// first). Ties keep region (raster) order in both orders, so a constant map perturbs row by row.
Tensor region_ranks(const Tensor& scores, PerturbationOrder order);

// The position of each pixel's region in the order of region_scores / region_sizes: [N, 1, H, W]
// int64, for attributions [N, C, H, W].
// A pixel is perturbed at step k (k regions replaced) when its rank is < k.
Tensor pixel_ranks(const Tensor& attributions, int64_t patch, PerturbationOrder order);

}  // namespace sanity
