#pragma once
// NumPy .npy files (format 1.0/2.0, little-endian, C order): float32, float64, int64, int32, uint8, bool.
// Explanations are written as N x C x H x W float32 arrays that open with numpy.load.
#include <torch/types.h>

#include <istream>
#include <string>

namespace sanity {

// Throws InputError naming the file and the header field that is wrong. The header is checked
// against the file's size before anything is allocated.
torch::Tensor read_npy(const std::string& path);
// The same from a stream (seekable); `path` names it in errors.
torch::Tensor parse_npy(std::istream& in, const std::string& path);
// What is wrong with a .npy file's header or size ("" when intact), without reading the data: the
// cheap integrity check of a study's saved maps.
std::string npy_problem(const std::string& path);
// Writes atomically (temporary file, then rename). Non-contiguous tensors are copied.
void write_npy(const std::string& path, const torch::Tensor& t);

}  // namespace sanity
