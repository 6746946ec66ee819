// InstanceNorm (layers_user_models.h): PyTorch's fused group-norm kernels with one group per channel,
// which is instance normalization. Each image's statistics are its own, so the result of one image
// does not depend on the others in its batch.
#include <sstream>

#include "models/layers.h"

namespace sanity {
namespace {

struct Extent {
  int64_t n, c, hw;
};

Extent extent_of(const Tensor& x) {
  int64_t hw = 1;
  for (int64_t d = 2; d < x.dim(); ++d) hw *= x.size(d);
  return {x.size(0), x.size(1), hw};
}

}  // namespace

InstanceNorm::InstanceNorm(Tensor scale, Tensor bias, double eps_, bool trainable) : eps(eps_) {
  params_ = {{"scale", std::move(scale), trainable}, {"bias", std::move(bias), trainable}};
}

// Normalized in the parameters' dtype: under bf16 autocast (core/precision.h) a bfloat16 input is
// normalized in float32, as autocast runs PyTorch's own norms. A no-op in float32.
Tensor InstanceNorm::forward(const Tensors& in, bool) const {
  const Tensor x = in.at(0).to(scale().scalar_type()).contiguous();
  const Extent e = extent_of(x);
  return std::get<0>(at::native_group_norm(x, scale(), bias(), e.n, e.c, e.hw, e.c, eps));
}

Tensors InstanceNorm::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  // The forward again for the mean and 1/std, then the kernel's input gradient alone.
  const Tensor x = in.at(0).to(scale().scalar_type()).contiguous();
  const Extent e = extent_of(x);
  const auto stats = at::native_group_norm(x, scale(), bias(), e.n, e.c, e.hw, e.c, eps);
  return {std::get<0>(at::native_group_norm_backward(g.to(x.scalar_type()).contiguous(), x, std::get<1>(stats), std::get<2>(stats), scale(),
                                                     e.n, e.c, e.hw, e.c, {true, false, false}))};
}

std::string InstanceNorm::describe() const {
  std::ostringstream o;
  o << scale().numel() << " channels, eps " << eps << (params_[0].trainable ? "" : " (unit scale, zero bias)");
  return o.str();
}

}  // namespace sanity
