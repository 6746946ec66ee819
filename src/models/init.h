#pragma once
// Parameter initializers, shared by model building and randomization.
#include <ATen/core/Generator.h>

#include "models/layer.h"

namespace sanity {

// Normal(0, stddev) cut at +-2 stddev by redrawing (TensorFlow's truncated_normal).
Tensor truncated_normal(at::IntArrayRef shape, double stddev, at::Generator& gen);

// Draws a tensor shaped like `like` from `spec`; Default is PyTorch's default for conv/linear layers:
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. Drawn on CPU, returned on like's device.
Tensor draw_init(const InitSpec& spec, const Tensor& like, int64_t fan_in, at::Generator& gen);

}  // namespace sanity
