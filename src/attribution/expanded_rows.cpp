#include "attribution/expanded_rows.h"

#include <algorithm>

#include "core/progress.h"

namespace sanity {
namespace {

torch::Tensor index_tensor(const std::vector<int64_t>& v, torch::Device device) {
  return torch::tensor(v, torch::kInt64).to(device);
}

}  // namespace

std::vector<int64_t> RowChunk::images() const {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(length));
  for (const auto& s : segments) out.insert(out.end(), static_cast<size_t>(s.count), s.image);
  return out;
}

std::vector<int64_t> RowChunk::copies() const {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(length));
  for (const auto& s : segments)
    for (int64_t k = 0; k < s.count; ++k) out.push_back(s.first_copy + k);
  return out;
}

torch::Tensor RowChunk::image_index(torch::Device device) const { return index_tensor(images(), device); }
torch::Tensor RowChunk::copy_index(torch::Device device) const { return index_tensor(copies(), device); }

void for_each_row_chunk(int64_t images, int64_t per_image, int64_t batch_size, bool within_image,
                        const std::function<void(const RowChunk&)>& fn) {
  const int64_t rows = images * per_image, batch = std::max<int64_t>(batch_size, 1);
  for (int64_t start = 0; start < rows;) {
    interruption_point();  // IG's path points, SmoothGrad's copies: many chunks per method
    int64_t end = std::min(rows, start + batch);
    if (within_image) end = std::min(end, (start / per_image + 1) * per_image);
    RowChunk chunk{start, end - start, {}};
    for (int64_t r = start; r < end;) {
      const int64_t i = r / per_image, j = r % per_image, count = std::min(end, (i + 1) * per_image) - r;
      chunk.segments.push_back({i, j, count, r - start});
      r += count;
    }
    fn(chunk);
    start = end;
  }
}

}  // namespace sanity
