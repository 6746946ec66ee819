#pragma once
// Methods that explain n rows per image (Integrated Gradients' path points, SmoothGrad's and
// sMPRT's noisy copies) lay the rows out image-major, row r = copy r % n of image r / n, and send
// them through the network in chunks of at most batch_size rows. This is the one place that does
// that bookkeeping: which image and which copy each row of a chunk is.
#include <cstdint>
#include <functional>
#include <vector>

#include <torch/types.h>

namespace sanity {

// Consecutive rows of one image within a chunk: copies first_copy .. first_copy + count - 1 of
// `image`, at rows offset .. offset + count - 1 of the chunk.
struct RowSegment {
  int64_t image = 0, first_copy = 0, count = 0, offset = 0;
};

struct RowChunk {
  int64_t start = 0, length = 0;  // rows [start, start + length) of all images * n
  std::vector<RowSegment> segments;
  // Per row of the chunk: the image index (0-based within the batch) and the copy index.
  std::vector<int64_t> images() const;
  std::vector<int64_t> copies() const;
  // The same as int64 tensors on `device`.
  torch::Tensor image_index(torch::Device device) const;
  torch::Tensor copy_index(torch::Device device) const;
};

// Calls fn for each chunk of `images` x `per_image` rows, at most batch_size rows each. With
// within_image, a chunk never spans two images (an image's copies split into chunks on their own).
void for_each_row_chunk(int64_t images, int64_t per_image, int64_t batch_size, bool within_image,
                        const std::function<void(const RowChunk&)>& fn);

}  // namespace sanity
