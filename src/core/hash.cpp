#include "core/hash.h"

#include <cstdio>
#include <cstring>

namespace sanity {

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ull;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

uint64_t fnv1a(uint64_t h, const std::string& s) { return fnv1a(h, s.data(), s.size() + 1); }

uint64_t fnv1a(uint64_t h, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  const int64_t type = static_cast<int64_t>(c.scalar_type());
  h = fnv1a(h, &type, sizeof type);
  h = fnv1a(h, c.sizes().data(), c.sizes().size() * sizeof(int64_t));
  return fnv1a(h, c.data_ptr(), c.nbytes());
}

std::string hex_digits(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf).substr(static_cast<size_t>(16 - digits));
}

}  // namespace sanity
