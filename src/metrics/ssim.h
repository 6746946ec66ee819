#pragma once
// Structural similarity (Wang et al. 2004) with Gaussian weights, as
// skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=True,
// data_range=R) computes it: local means and (sample) covariances under an 11x11 Gaussian window
// (radius int(3.5 sigma + 0.5)), the SSIM map averaged over the pixels at least one radius from the
// border, then over channels.
#include <torch/types.h>

namespace sanity {

struct SsimOptions {
  double data_range = 1.0;  // the authors' call used 2 on [0, 1] maps (a quirk): ssim(data_range=2)
  double sigma = 1.5;
  double k1 = 0.01;
  double k2 = 0.03;
};

// Mean SSIM per image of two [N, C, H, W] batches, float64 [N] on their device.
// Throws InputError if H or W is smaller than the window.
torch::Tensor ssim(const torch::Tensor& a, const torch::Tensor& b, const SsimOptions& options = {});

}  // namespace sanity
