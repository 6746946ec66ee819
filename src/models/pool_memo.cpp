#include "models/pool_memo.h"

#include <algorithm>

namespace sanity {

void PoolIndexMemo::remember(const torch::Tensor& input, const torch::Tensor& indices) const {
  if (input.is_inference()) return;  // no version counter: a change could not be seen
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) {
                                  return e.input.expired() || e.input._unsafe_get_target() == input.unsafeGetTensorImpl();
                                }),
                 entries_.end());
  if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
  entries_.push_back({c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>(input.getIntrusivePtr()),
                      input._version(), indices});
}

torch::Tensor PoolIndexMemo::recall(const torch::Tensor& input) const {
  if (input.is_inference()) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.input.expired(); }),
                 entries_.end());
  for (const Entry& e : entries_)
    if (e.input._unsafe_get_target() == input.unsafeGetTensorImpl() && e.version == input._version())
      return e.indices;
  return {};
}

}  // namespace sanity
