#include "models/pool_memo.h"

#include <algorithm>

namespace sanity {

void PoolIndexMemo::remember(const torch::Tensor& input, const torch::Tensor& indices) const {
  if (!TensorVersion::trackable(input)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.input.expired() || e.input.same_tensor(input); }),
                 entries_.end());
  if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
  entries_.push_back({TensorVersion(input), indices});
}

torch::Tensor PoolIndexMemo::recall(const torch::Tensor& input) const {
  if (!TensorVersion::trackable(input)) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.input.expired(); }),
                 entries_.end());
  for (const Entry& e : entries_)
    if (e.input.matches(input)) return e.indices;
  return {};
}

}  // namespace sanity
