#pragma once
// Histograms of oriented gradients of explanation maps, for the papers' HOG similarity: the rank
// correlation of the HOG vectors of two maps (hog metric, registered in hog.cpp).
#include <torch/types.h>

namespace sanity {

struct HogOptions {
  int64_t orientations = 9;
  int64_t cell = 16;   // pixels per cell (square)
  int64_t block = 3;   // cells per block (square)
};

// skimage.feature.hog(map, orientations, (cell, cell), (block, block), block_norm='L2-Hys') of each
// 2-D map in [N, H, W] or [N, 1, H, W], exactly (including its quirks: central differences with
// zero border gradients, hard orientation binning over [0, 180), pixels past the last full cell
// ignored, cell sums accumulated in float32). Returns [N, D] float64 on the maps' device with
// D = (H/cell - block + 1) (W/cell - block + 1) block^2 orientations, in skimage's order.
// Throws InputError when not even one block of cells fits (skimage fails there).
// The CPU's loop where cpu_fast_path (core/runtime.h) allows, else hog_features_tensor.
torch::Tensor hog_features(const torch::Tensor& maps, const HogOptions& options);
// The same features as tensor code on [N, H, W] float64 maps on any device (hog_tensor.cpp).
torch::Tensor hog_features_tensor(const torch::Tensor& maps, const HogOptions& options);

// OpenCV's variant, cv::HOGDescriptor with the same cell, block (stride one cell) and bin counts:
// bilinear voting, a Gaussian window per block, on the maps quantized to 8 bits (x * 255, rounded;
// OpenCV's HOG takes only 8-bit images), over the top-left region that whole cells cover. Computed
// on the host (a reference, not a device path); returns [N, D] float64 on the CPU.
torch::Tensor hog_features_opencv(const torch::Tensor& maps, const HogOptions& options);
// What a build without OpenCV tells a user who asks for hog(impl=opencv) (core/build_info.h).
inline constexpr const char* kHogWithoutOpencv = "use hog (impl=skimage, the default), which needs no OpenCV";

// cell=auto: `preferred` when a block of `block` x `block` such cells fits in h x w, else the
// largest cell size that still fits one block (9 for 28x28 MNIST maps with 3x3 blocks).
int64_t hog_auto_cell(int64_t h, int64_t w, int64_t block, int64_t preferred = 16);

// Throws InputError when not even one block of cells fits in h x w.
void check_hog_size(int64_t h, int64_t w, const HogOptions& options);
// [N, H, W] or [N, 1, H, W] -> contiguous [N, H, W] float64 on the maps' device; InputError for
// other shapes.
torch::Tensor hog_input(const torch::Tensor& maps);

}  // namespace sanity
