#include "attribution/prepare.h"

#include <cmath>

#include "core/error.h"

namespace sanity {
namespace {

// Per-image quantile of a [N, ...] batch, as [N, 1, 1, 1], with numpy's linear interpolation.
// Two selections (kthvalue) instead of a full sort: about 5x faster than at::quantile on big maps.
torch::Tensor per_image_quantile(const torch::Tensor& maps, double q) {
  torch::Tensor flat = maps.reshape({maps.size(0), -1});
  const int64_t n = flat.size(1);
  const double pos = q * static_cast<double>(n - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(pos)), hi = std::min(lo + 1, n - 1);
  torch::Tensor a = std::get<0>(flat.kthvalue(lo + 1, 1)).to(torch::kFloat64);
  torch::Tensor b = hi == lo ? a : std::get<0>(flat.kthvalue(hi + 1, 1)).to(torch::kFloat64);
  return (a + (pos - static_cast<double>(lo)) * (b - a)).to(maps.scalar_type()).view({-1, 1, 1, 1});
}

torch::Tensor per_image(const torch::Tensor& v) { return v.view({-1, 1, 1, 1}); }

}  // namespace

ChannelReduction parse_channel_reduction(const std::string& name) {
  if (name == "sum_abs") return ChannelReduction::SumAbs;
  if (name == "sum") return ChannelReduction::Sum;
  if (name == "max_abs") return ChannelReduction::MaxAbs;
  if (name == "none") return ChannelReduction::None;
  throw InputError("channel reduction '" + name + "': expected sum_abs, sum, max_abs or none");
}

torch::Tensor reduce_channels(const torch::Tensor& maps, ChannelReduction how) {
  switch (how) {
    case ChannelReduction::SumAbs: return maps.abs().sum(1, true);
    case ChannelReduction::Sum: return maps.sum(1, true);
    case ChannelReduction::MaxAbs: return maps.abs().amax(1, true);
    case ChannelReduction::None: return maps;
  }
  return maps;
}

torch::Tensor clip_percentiles(const torch::Tensor& maps, double lo, double hi) {
  torch::Tensor l = per_image_quantile(maps, lo / 100.0), h = per_image_quantile(maps, hi / 100.0);
  return at::max(at::min(maps, h), l);
}

torch::Tensor scale_unit(const torch::Tensor& maps) {
  torch::Tensor flat = maps.reshape({maps.size(0), -1});
  torch::Tensor lo = per_image(std::get<0>(flat.min(1))), hi = per_image(std::get<0>(flat.max(1)));
  torch::Tensor span = hi - lo;
  return at::where(span > 0, (maps - lo) / span.clamp_min(1e-30), at::zeros_like(maps));
}

torch::Tensor scale_abs_max(const torch::Tensor& maps) {
  torch::Tensor m = per_image(maps.abs().reshape({maps.size(0), -1}).amax(1));
  return at::where(m > 0, maps / m.clamp_min(1e-30), at::zeros_like(maps));
}

torch::Tensor prepare_absolute(const torch::Tensor& maps) {
  if (maps.size(1) == 1) return scale_abs_max(maps.abs());
  torch::Tensor r = reduce_channels(maps, ChannelReduction::SumAbs);
  torch::Tensor h = per_image_quantile(r, 0.99);
  return scale_unit(at::min(r, h));
}

torch::Tensor prepare_signed(const torch::Tensor& maps) {
  if (maps.size(1) == 1) return scale_abs_max(maps);
  torch::Tensor r = reduce_channels(maps, ChannelReduction::Sum);
  torch::Tensor span = per_image_quantile(r, 0.99).abs().clamp_min(1e-30);
  return ((r + span) / (2 * span)).clamp(0.0, 1.0);
}

}  // namespace sanity
