#include "models/pool2x2.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <cmath>
#include <cstring>

#include "core/runtime.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sanity {
namespace {

// Each window is reduced as ((top left, top right), (bottom left, bottom right)), every pair keeping
// its left element unless the right one is greater or NaN: the same winner as LibTorch's scan of the
// four in row-major order (first maximum; last NaN). The winner's code: 0 top left ... 3 bottom right.
inline bool right_wins(float left, float right) { return right > left || std::isnan(right); }

void pool_window(const float* r0, const float* r1, float* y, uint8_t* winner) {
  const bool rt = right_wins(r0[0], r0[1]), rb = right_wins(r1[0], r1[1]);
  const float top = rt ? r0[1] : r0[0], bottom = rb ? r1[1] : r1[0];
  const bool tb = right_wins(top, bottom);
  *y = tb ? bottom : top;
  *winner = static_cast<uint8_t>(tb ? 2 + rb : rt);
}

// f(j) for j = 0, 4, 8, ... and, when n is not a multiple of 4, last for n - 4 (overlapping). n >= 4.
template <class F>
void by_fours(int64_t n, F f) {
  for (int64_t j = 0;; j += 4) {
    if (j + 4 > n) j = n - 4;
    f(j);
    if (j + 4 >= n) return;
  }
}

// One output row of ow windows from input rows r0 and r1. With SSE2 (every x86-64), four windows at a
// time (a row whose length is not a multiple of 4 ends with four that overlap the previous ones,
// rewritten with the same values): the compiler does not vectorize the scalar form (stride-2 loads,
// selects), which mispredicted its way to a quarter of LibTorch's channels-last speed.
void pool_row(const float* r0, const float* r1, float* y, uint8_t* winner, int64_t ow) {
#if defined(__SSE2__)
  if (ow >= 4) {
    const auto wins = [](__m128 left, __m128 right) {
      return _mm_or_ps(_mm_cmpgt_ps(right, left), _mm_cmpunord_ps(right, right));
    };
    const auto pick = [](__m128 mask, __m128 right, __m128 left) {
      return _mm_or_ps(_mm_and_ps(mask, right), _mm_andnot_ps(mask, left));
    };
    by_fours(ow, [&](int64_t j) {
      const __m128 t0 = _mm_loadu_ps(r0 + 2 * j), t1 = _mm_loadu_ps(r0 + 2 * j + 4);
      const __m128 b0 = _mm_loadu_ps(r1 + 2 * j), b1 = _mm_loadu_ps(r1 + 2 * j + 4);
      const __m128 tl = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
      const __m128 tr = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
      const __m128 bl = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0));
      const __m128 br = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1));
      const __m128 rt = wins(tl, tr), rb = wins(bl, br);
      const __m128 top = pick(rt, tr, tl), bottom = pick(rb, br, bl);
      const __m128 tb = wins(top, bottom);
      _mm_storeu_ps(y + j, pick(tb, bottom, top));
      const int mt = _mm_movemask_ps(rt), mb = _mm_movemask_ps(rb), mtb = _mm_movemask_ps(tb);
      for (int l = 0; l < 4; ++l) {
        const int t = (mtb >> l) & 1;
        winner[j + l] = static_cast<uint8_t>(t * (2 + ((mb >> l) & 1)) + (1 - t) * ((mt >> l) & 1));
      }
    });
    return;
  }
#endif
  for (int64_t j = 0; j < ow; ++j) pool_window(r0 + 2 * j, r1 + 2 * j, y + j, winner + j);
}

// One output row's gradient into input rows r0 and r1: each window's gradient at its winner, 0 at its
// other three pixels (four windows at a time as in pool_row). 0 + g, as LibTorch adds each gradient
// to a zeroed input gradient (a -0 gradient comes out +0 there too).
void unpool_row(const float* g, const uint8_t* winner, float* r0, float* r1, int64_t ow) {
#if defined(__SSE2__)
  if (ow >= 4) {
    const __m128i zero = _mm_setzero_si128();
    by_fours(ow, [&](int64_t j) {
      const __m128 v = _mm_add_ps(_mm_setzero_ps(), _mm_loadu_ps(g + j));
      int32_t packed;
      std::memcpy(&packed, winner + j, 4);
      const __m128i k = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(packed), zero), zero);
      const auto at = [&](int code) {
        return _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(k, _mm_set1_epi32(code))), v);
      };
      const __m128 tl = at(0), tr = at(1), bl = at(2), br = at(3);
      _mm_storeu_ps(r0 + 2 * j, _mm_unpacklo_ps(tl, tr));
      _mm_storeu_ps(r0 + 2 * j + 4, _mm_unpackhi_ps(tl, tr));
      _mm_storeu_ps(r1 + 2 * j, _mm_unpacklo_ps(bl, br));
      _mm_storeu_ps(r1 + 2 * j + 4, _mm_unpackhi_ps(bl, br));
    });
    return;
  }
#endif
  for (int64_t j = 0; j < ow; ++j) {
    const float v = 0.0f + g[j];
    const uint8_t k = winner[j];
    r0[2 * j] = k == 0 ? v : 0.0f;
    r0[2 * j + 1] = k == 1 ? v : 0.0f;
    r1[2 * j] = k == 2 ? v : 0.0f;
    r1[2 * j + 1] = k == 3 ? v : 0.0f;
  }
}

// Planes [begin, end) of x [planes, h, w] into y and winner [planes, h/2, w/2].
void pool_planes(const float* x, float* y, uint8_t* winner, int64_t begin, int64_t end, int64_t h, int64_t w) {
  const int64_t oh = h / 2, ow = w / 2;
  for (int64_t p = begin; p < end; ++p)
    for (int64_t i = 0; i < oh; ++i) {
      const float* r0 = x + (p * h + 2 * i) * w;
      pool_row(r0, r0 + w, y + (p * oh + i) * ow, winner + (p * oh + i) * ow, ow);
    }
}

// The gradient of planes [begin, end), 0 also in a left-out last row or column.
void unpool_planes(const float* g, const uint8_t* winner, float* gx, int64_t begin, int64_t end, int64_t h,
                   int64_t w) {
  const int64_t oh = h / 2, ow = w / 2;
  for (int64_t p = begin; p < end; ++p) {
    float* plane = gx + p * h * w;
    for (int64_t i = 0; i < oh; ++i) {
      float* r0 = plane + 2 * i * w;
      unpool_row(g + (p * oh + i) * ow, winner + (p * oh + i) * ow, r0, r0 + w, ow);
      if (w % 2) r0[w - 1] = r0[2 * w - 1] = 0.0f;
    }
    if (h % 2)
      for (int64_t j = 0; j < w; ++j) plane[(h - 1) * w + j] = 0.0f;
  }
}

constexpr int64_t kPlanesPerTask = 16;

}  // namespace

bool is_pool2x2(const torch::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef dilation,
                bool ceil_mode) {
  const auto two = [](at::IntArrayRef v, int64_t k) { return v.size() == 2 && v[0] == k && v[1] == k; };
  return cpu_fast_path(x) && x.scalar_type() == torch::kFloat32 && x.dim() == 4 && x.is_contiguous() && two(kernel, 2) &&
         two(stride, 2) && two(dilation, 1) && !ceil_mode && x.size(2) >= 2 && x.size(3) >= 2;
}

std::tuple<torch::Tensor, torch::Tensor> maxpool2x2(const torch::Tensor& x) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3), oh = h / 2, ow = w / 2;
  const torch::Tensor xc = x.contiguous();
  torch::Tensor y = torch::empty({x.size(0), x.size(1), oh, ow}, x.options());
  torch::Tensor winner = torch::empty({x.size(0), x.size(1), oh, ow}, x.options().dtype(torch::kUInt8));
  const float* in = xc.data_ptr<float>();
  float* out = y.data_ptr<float>();
  uint8_t* win = winner.data_ptr<uint8_t>();
  at::parallel_for(0, planes, kPlanesPerTask,
                   [&](int64_t begin, int64_t end) { pool_planes(in, out, win, begin, end, h, w); });
  return {y, winner};
}

torch::Tensor maxpool2x2_backward(const torch::Tensor& grad_y, const torch::Tensor& winner,
                                  at::IntArrayRef input_sizes) {
  const torch::Tensor g = grad_y.contiguous();
  const int64_t planes = input_sizes[0] * input_sizes[1], h = input_sizes[2], w = input_sizes[3];
  torch::Tensor grad_x = torch::empty(input_sizes, g.options());
  const float* gy = g.data_ptr<float>();
  const uint8_t* win = winner.data_ptr<uint8_t>();
  float* gx = grad_x.data_ptr<float>();
  at::parallel_for(0, planes, kPlanesPerTask,
                   [&](int64_t begin, int64_t end) { unpool_planes(gy, win, gx, begin, end, h, w); });
  return grad_x;
}

namespace {

// Training's pools: autograd saves the winners instead of LibTorch's int64 indices.
struct MaxPool2x2Function : torch::autograd::Function<MaxPool2x2Function> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    auto [y, winner] = maxpool2x2(x);
    ctx->saved_data["winner"] = winner;
    ctx->saved_data["sizes"] = x.sizes().vec();
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    return {maxpool2x2_backward(grad.at(0), ctx->saved_data["winner"].toTensor(),
                                ctx->saved_data["sizes"].toIntVector())};
  }
};

}  // namespace

torch::Tensor maxpool2x2_autograd(const torch::Tensor& x) { return MaxPool2x2Function::apply(x); }

}  // namespace sanity
