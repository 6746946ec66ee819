#pragma once
// One tensor as it was at one moment: which tensor (a weak reference, so that its address cannot be
// reused by another tensor while this is kept) and its version counter (every in-place write bumps
// it; a raw write must bump it by hand, as Adam's fused step does). The caches keyed by tensors (pool
// indices, weights fingerprints) serve a value only for the very tensor it was computed from,
// unchanged since.
#include <torch/types.h>

namespace sanity {

class TensorVersion {
 public:
  // Inference tensors keep no version counter: a change to them could not be seen.
  static bool trackable(const torch::Tensor& t) { return t.defined() && !t.is_inference(); }

  explicit TensorVersion(const torch::Tensor& t) : tensor_(t.getIntrusivePtr()), version_(t._version()) {}

  // Freed since: the entry can go.
  bool expired() const { return tensor_.expired(); }
  // `t` is the same tensor (written since or not).
  bool same_tensor(const torch::Tensor& t) const { return tensor_._unsafe_get_target() == t.unsafeGetTensorImpl(); }
  // `t` is the same tensor, unchanged.
  bool matches(const torch::Tensor& t) const { return !expired() && same_tensor(t) && version_ == t._version(); }

 private:
  c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl> tensor_;
  uint32_t version_;
};

}  // namespace sanity
