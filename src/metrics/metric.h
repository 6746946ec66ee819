#pragma once
// src/metrics: similarity metrics between explanations and their registry; CSC.
//
// Similarity metrics between an original and a randomized explanation of the same images
// (docs/DEFINITIONS.md, "Similarity metrics"). One interface for all of them:
//
//   MetricPtr m = MetricRegistry::instance().make("ssim(data_range=2)");
//   torch::Tensor s = m->compare(original, randomized);   // [N, C, H, W] x 2 -> [N] float64, CPU
//   record m->spec_for(original.sizes()).str() next to the scores.
//
// Edge cases, the same for every metric:
// - Inputs: two batches of the same shape [N, C, H, W], any floating dtype, any device.
//   A NaN or Inf anywhere throws InputError ("metric spearman: original map 3 contains NaN or Inf ...").
// - Identical (non-constant) maps score 1 for every correlation, cosine, SSIM, HOG and top-k; 0 for mse.
// - Undefined scores are NaN, never an exception: a correlation (spearman, pearson, hog) when one of
//   the two maps is constant (zero variance after preparation), cosine when one map is all zero.
//   summarize() (aggregate.h) skips them and counts them, so one blank map does not hide a study.
// - Scores are float64 on the CPU, one per image, in input order.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "core/spec.h"

namespace sanity {

// Metric specs use the method-spec syntax: `name(key=value, ...)` (attribution/spec.h).
using MetricSpec = MethodSpec;

// Which way a score points: the papers' curves fall from 1 (similar) as randomization proceeds.
enum class Direction { HigherIsMoreSimilar, LowerIsMoreSimilar };
const char* direction_name(Direction d);  // "higher = more similar" / "lower = more similar"

// Which map preparation (attribution/prepare.h) a metric applies before comparing.
enum class Preparation {
  Absolute,  // prepare_absolute: |.|-based, 1 channel, in [0, 1]
  Signed,    // prepare_signed: keeps the sign, 1 channel
  Unit,      // prepare_absolute, then min-max to [0, 1] per image (SSIM, HOG)
  Raw,       // the maps as given, every channel
};
// "absolute", "signed", "unit", "raw" (a value the registry has checked).
Preparation parse_preparation(const std::string& name);
const char* preparation_name(Preparation p);
// Applies the preparation; the result is float64 on the maps' device.
torch::Tensor prepare_maps(const torch::Tensor& maps, Preparation p);

class Metric {
 public:
  Metric(MetricSpec spec, Direction direction) : spec_(std::move(spec)), direction_(direction) {}
  virtual ~Metric() = default;

  // The canonical spec with every option filled in ("ssim(data_range=1)").
  const MetricSpec& spec() const { return spec_; }
  // The spec as applied to maps of this shape ([N, C, H, W] or [C, H, W]): options that depend on
  // the map size are resolved (hog's cell=auto becomes cell=9 on 28x28 maps). Record this one.
  virtual MetricSpec spec_for(at::IntArrayRef map_shape) const { return spec_; }
  Direction direction() const { return direction_; }

  // Validates the two batches (shape, finiteness) and returns one score per image, [N] float64 CPU.
  torch::Tensor compare(const torch::Tensor& original, const torch::Tensor& other) const;

 protected:
  // Called by compare() with validated maps of the same shape.
  virtual torch::Tensor score(const torch::Tensor& original, const torch::Tensor& other) const = 0;

 private:
  MetricSpec spec_;
  Direction direction_;
};

using MetricPtr = std::shared_ptr<const Metric>;

// The common shape of a metric: prepare both batches, flatten each image to a row, apply a row
// function [N, D] x [N, D] -> [N]. Most metrics are one of these.
class RowwiseMetric : public Metric {
 public:
  using RowFunction = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;
  RowwiseMetric(MetricSpec spec, Direction direction, Preparation prep, RowFunction f)
      : Metric(std::move(spec), direction), prep_(prep), f_(std::move(f)) {}

 protected:
  torch::Tensor score(const torch::Tensor& original, const torch::Tensor& other) const override;

 private:
  Preparation prep_;
  RowFunction f_;
};

}  // namespace sanity
