#pragma once
// IDX files (MNIST, Fashion-MNIST), gzipped or plain.
#include <torch/types.h>

#include <string>
#include <vector>

namespace sanity {

// Reads an unsigned-byte IDX file with `expected_dims` dimensions (3 for images, 1 for labels).
// Checks the magic number, the dimension count and that the file holds exactly the bytes its header
// promises; throws InputError naming the file and the field otherwise. Returns a uint8 tensor.
torch::Tensor read_idx_ubyte(const std::string& path, int expected_dims);
// The same from the (decompressed) bytes of a file; `path` names it in errors.
torch::Tensor parse_idx_ubyte(const std::vector<unsigned char>& bytes, const std::string& path, int expected_dims);

}  // namespace sanity
