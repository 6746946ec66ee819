#pragma once
// NumPy .npy files (format 1.0/2.0, little-endian, C order): float32, float64, int64, int32, uint8.
// Explanations are written as N x C x H x W float32 arrays that open with numpy.load.
#include <torch/types.h>

#include <string>

namespace sanity {

// Throws InputError naming the file and the header field that is wrong.
torch::Tensor read_npy(const std::string& path);
// Writes atomically (temporary file, then rename). Non-contiguous tensors are copied.
void write_npy(const std::string& path, const torch::Tensor& t);

}  // namespace sanity
