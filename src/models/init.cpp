#include "models/init.h"

#include <cmath>

namespace sanity {

Tensor truncated_normal(at::IntArrayRef shape, double stddev, at::Generator& gen) {
  Tensor t = at::normal(0.0, 1.0, shape, gen);
  for (int round = 0; round < 100; ++round) {
    Tensor outside = t.abs() > 2.0;
    const int64_t n = outside.sum().item<int64_t>();
    if (n == 0) break;
    t.masked_scatter_(outside, at::normal(0.0, 1.0, {n}, gen));
  }
  return t * stddev;
}

Tensor draw_init(const InitSpec& spec, const Tensor& like, int64_t fan_in, at::Generator& gen) {
  Tensor t;
  switch (spec.kind) {
    case InitSpec::Kind::TruncatedNormal: t = truncated_normal(like.sizes(), spec.stddev, gen); break;
    case InitSpec::Kind::Constant: t = at::full(like.sizes(), spec.value, at::kFloat); break;
    case InitSpec::Kind::Default: {
      const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
      t = at::empty(like.sizes(), at::kFloat).uniform_(-bound, bound, gen);
      break;
    }
  }
  return t.to(like.options().requires_grad(false));
}

}  // namespace sanity
