#pragma once
// Heatmap images of attribution maps for viewing: signed maps in a diverging colormap (blue < 0 <
// red, white at 0), absolute maps in a sequential one (inferno, black at 0). Channel reduction and
// percentile clipping come from prepare.h.
#include <string>

#include <torch/types.h>

#include "attribution/prepare.h"

namespace sanity {

struct HeatmapOptions {
  bool signed_map = false;                             // diverging colormap around 0
  ChannelReduction reduction = ChannelReduction::SumAbs;
  double clip = 99.5;      // percentile: absolute maps clip above it, signed maps outside [100 - clip, clip]
  int64_t min_size = 224;  // small maps (MNIST) are enlarged by an integer factor (nearest) to at least this
  double overlay = 0.0;    // 0..1: blend the heatmap over the grayscale input with this weight
};

// One map [C, H, W] (and optionally its input image [C', H, W] for the overlay) -> RGB [H', W', 3] uint8.
torch::Tensor render_heatmap(const torch::Tensor& map, const HeatmapOptions& options,
                             const torch::Tensor& image = {});

// Writes an RGB [H, W, 3] uint8 image as PNG; throws InputError naming the path if it cannot.
void write_png(const std::string& path, const torch::Tensor& rgb);

}  // namespace sanity
