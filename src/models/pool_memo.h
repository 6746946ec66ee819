#pragma once
// Max pooling's argmax indices from recent forward passes, kept so that the backward sweep reads them
// instead of pooling a second time (PyTorch's autograd saves them the same way). An entry serves only
// the very tensor it was computed from, unchanged since (core/tensor_version.h).
#include <torch/types.h>

#include <mutex>
#include <vector>

#include "core/tensor_version.h"

namespace sanity {

class PoolIndexMemo {
 public:
  PoolIndexMemo() = default;
  PoolIndexMemo(const PoolIndexMemo&) {}  // a copied layer starts with an empty memo
  PoolIndexMemo& operator=(const PoolIndexMemo&) { return *this; }

  void remember(const torch::Tensor& input, const torch::Tensor& indices) const;
  // The indices remembered for `input`, or an undefined tensor.
  torch::Tensor recall(const torch::Tensor& input) const;

 private:
  struct Entry {
    TensorVersion input;
    torch::Tensor indices;
  };
  // A few sweeps may be alive at once (a rule comparing two passes); older ones recompute.
  static constexpr size_t kMaxEntries = 4;
  mutable std::mutex mutex_;
  mutable std::vector<Entry> entries_;
};

}  // namespace sanity
