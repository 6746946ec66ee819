#include "models/adam.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "core/runtime.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace sanity {

namespace {

// Late in a run that fits its data (the permuted-label models reach a loss of 3e-4) gradients and
// their squares fall below float's normal range, and every operation on such a denormal takes a
// microcode assist: the MLP's update slowed from 1.4 to 3.8 s an epoch. Within the update, values
// below 1.2e-38 are taken as 0 (x86's FTZ and DAZ bits of this thread, restored after).
struct FlushDenormals {
#if defined(__SSE__)
  unsigned saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040); }  // flush-to-zero (bit 15), denormals-are-zero (bit 6)
  ~FlushDenormals() { _mm_setcsr(saved); }
#else
  FlushDenormals() {}  // elsewhere denormals are kept (the update is the same, only slower late in a run)
#endif
};

// One parameter's update, element by element, in float as LibTorch's Adam computes it:
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p = p - step_size * m / (sqrt(v) / sqrt(1 - beta2^t) + eps),  step_size = lr / (1 - beta1^t)
// This file is compiled with -fno-math-errno (CMakeLists.txt) so that the sqrt vectorizes.
void update_cpu(float* p, const float* g, float* m, float* v, int64_t n, float beta1, float beta2, float eps,
                float step_size, float sqrt_bc2) {
  const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
  at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
    const FlushDenormals flush;
    for (int64_t i = begin; i < end; ++i) {
      const float gi = g[i];
      const float mi = m[i] * beta1 + a1 * gi;
      const float vi = v[i] * beta2 + a2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= step_size * (mi / (std::sqrt(vi) / sqrt_bc2 + eps));
    }
  });
}

}  // namespace

Adam::Adam(Tensors params, double beta1, double beta2, double eps)
    : params_(std::move(params)), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (const Tensor& p : params_) {
    m_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
    v_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
  }
}

void Adam::step(double lr) {
  torch::NoGradGuard no_grad;
  ++t_;
  const double bc1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
  const double step_size = lr / bc1;
  for (size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor &m = m_[k], &v = v_[k];
    if (cpu_fast_path(p) && p.scalar_type() == torch::kFloat32 && p.is_contiguous()) {
      const Tensor gc = g.contiguous();
      update_cpu(p.data_ptr<float>(), gc.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.numel(),
                 static_cast<float>(beta1_), static_cast<float>(beta2_), static_cast<float>(eps_),
                 static_cast<float>(step_size), static_cast<float>(std::sqrt(bc2)));
      p.unsafeGetTensorImpl()->bump_version();  // a raw write: caches keyed by version must see it
    } else {  // a GPU or another type: the same update as tensor operations
      m.mul_(beta1_).add_(g, 1.0 - beta1_);
      v.mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
      p.addcdiv_(m, (v.sqrt() / std::sqrt(bc2)).add_(eps_), -step_size);
    }
    p.mutable_grad() = Tensor();  // released: the next backward writes it instead of adding to zeros
  }
}

}  // namespace sanity
