#pragma once
// The PNG tiles of the saliency grids (saliency_grid.cpp), as data URIs. Encoded with OpenCV's
// colormap and PNG encoder (png_tiles.cpp); the lean build without OpenCV refuses them
// (png_tiles_no_opencv.cpp), and its report leaves the grids out with a note (report.cpp).
#include <string>

#include <torch/types.h>

namespace sanity::report {

// A [C, H, W] image in [0, 1] (C = 1 or 3) as a base64 PNG, grey or RGB, or through the colormap
// (inferno), enlarged `scale` times with nearest neighbours.
std::string png_tile(const torch::Tensor& unit, bool colormap, int scale);

// The colorbar: the colormap from 1 (top) to 0 (bottom), 8 x 256 pixels.
std::string colorbar_png();

}  // namespace sanity::report
