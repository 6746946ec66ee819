#pragma once
// Map preparation for viewing and comparing: channel reduction, percentile clipping, scaling.
// All functions take a batch of maps [N, C, H, W] and work per image.
#include <string>

#include <torch/types.h>

namespace sanity {

enum class ChannelReduction { SumAbs, Sum, MaxAbs, None };
// "sum_abs", "sum", "max_abs", "none"; throws InputError otherwise.
ChannelReduction parse_channel_reduction(const std::string& name);

// [N, C, H, W] -> [N, 1, H, W] (None returns the maps unchanged).
torch::Tensor reduce_channels(const torch::Tensor& maps, ChannelReduction how);
// Per image, clamps values to its [lo, hi] percentiles (0..100).
torch::Tensor clip_percentiles(const torch::Tensor& maps, double lo, double hi);
// Per image, min-max scaling to [0, 1]; constant maps become 0.
torch::Tensor scale_unit(const torch::Tensor& maps);
// Per image, x / max|x| (to [-1, 1]); zero maps stay 0.
torch::Tensor scale_abs_max(const torch::Tensor& maps);

// The authors' preparation before comparison (docs/DEFINITIONS.md, "Preparation before comparison"):
// absolute: 1 channel |x| / max|x|; 3 channels: sum |.| over channels, clip at the 99th percentile,
//           min-max to [0, 1].
torch::Tensor prepare_absolute(const torch::Tensor& maps);
// signed:   1 channel x / max|x|; 3 channels: signed channel sum, span = |99th percentile|,
//           (x + span) / (2 span) clipped to [0, 1].
torch::Tensor prepare_signed(const torch::Tensor& maps);

}  // namespace sanity
