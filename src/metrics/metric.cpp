#include "metrics/metric.h"

#include "attribution/prepare.h"
#include "core/error.h"

namespace sanity {
namespace {

torch::Tensor bad_images(const torch::Tensor& maps) {
  return ~torch::isfinite(maps).reshape({maps.size(0), -1}).all(1);
}

// Names the first image whose map holds a NaN or Inf: the usual cause is an exploding attribution.
// One read of one value when all is well (a synchronization on a GPU), whatever the batch.
void check_finite(const MetricSpec& spec, const torch::Tensor& original, const torch::Tensor& other) {
  if (!(bad_images(original).any() | bad_images(other).any()).item<bool>()) return;
  for (const auto& [maps, which] : {std::pair{&original, "original"}, std::pair{&other, "compared"}}) {
    const torch::Tensor bad = bad_images(*maps);
    if (!bad.any().item<bool>()) continue;
    const int64_t first = bad.nonzero().min().item<int64_t>();
    throw InputError("metric " + spec.name + ": " + which + " map " + std::to_string(first) +
                     " contains NaN or Inf values (expected finite numbers)");
  }
}

}  // namespace

const char* direction_name(Direction d) {
  return d == Direction::HigherIsMoreSimilar ? "higher = more similar" : "lower = more similar";
}

torch::Tensor Metric::compare(const torch::Tensor& original, const torch::Tensor& other) const {
  if (original.dim() != 4 || !original.is_floating_point())
    throw InputError("metric " + spec_.name + ": expected original maps [N, C, H, W] of floats, got " +
                     c10::str(original.sizes()));
  if (original.sizes() != other.sizes() || !other.is_floating_point())
    throw InputError("metric " + spec_.name + ": the maps to compare must have the original's shape " +
                     c10::str(original.sizes()) + ", got " + c10::str(other.sizes()));
  if (original.size(0) == 0) return torch::empty({0}, torch::kFloat64);
  check_finite(spec_, original, other);
  return score(original, other).to(torch::kCPU, torch::kFloat64).contiguous();
}

torch::Tensor RowwiseMetric::score(const torch::Tensor& original, const torch::Tensor& other) const {
  return f_(prepare_maps(original, prep_).flatten(1), prepare_maps(other, prep_).flatten(1));
}

Preparation parse_preparation(const std::string& p) {
  if (p == "absolute") return Preparation::Absolute;
  if (p == "signed") return Preparation::Signed;
  if (p == "unit") return Preparation::Unit;
  return Preparation::Raw;
}

const char* preparation_name(Preparation p) {
  switch (p) {
    case Preparation::Absolute: return "absolute";
    case Preparation::Signed: return "signed";
    case Preparation::Unit: return "unit";
    case Preparation::Raw: return "raw";
  }
  return "?";
}

torch::Tensor prepare_maps(const torch::Tensor& maps, Preparation p) {
  // In float64 throughout: rank metrics see ties, and float32 rounding in the preparation would
  // create or break them.
  const torch::Tensor x = maps.to(torch::kFloat64);
  switch (p) {
    case Preparation::Absolute: return prepare_absolute(x);
    case Preparation::Signed: return prepare_signed(x);
    case Preparation::Unit: return scale_unit(prepare_absolute(x));
    case Preparation::Raw: return x;
  }
  return x;
}

}  // namespace sanity
