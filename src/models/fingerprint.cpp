#include "models/fingerprint.h"

#include <cstdio>
#include <cstring>

#include "models/layer.h"

namespace sanity {

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {  // a word at a time: VGG-16's weights hash in a fraction of a second
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ull;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

uint64_t fnv1a(uint64_t h, const std::string& s) { return fnv1a(h, s.data(), s.size() + 1); }

uint64_t fnv1a(uint64_t h, const Tensor& t) {
  const Tensor c = t.detach().to(torch::kCPU).contiguous();
  const int64_t type = static_cast<int64_t>(c.scalar_type());
  h = fnv1a(h, &type, sizeof type);
  h = fnv1a(h, c.sizes().data(), c.sizes().size() * sizeof(int64_t));
  return fnv1a(h, c.data_ptr(), c.nbytes());
}

uint64_t model_fingerprint(const Graph& g) {
  uint64_t h = kFnvOffset;
  for (const auto& n : g.nodes()) {
    h = fnv1a(h, n.name);
    h = fnv1a(h, std::string(kind_name(n.layer->kind())));
    for (const auto& p : n.layer->params()) {
      const Tensor t = p.value.detach().to(torch::kCPU).contiguous();
      h = fnv1a(h, t.data_ptr(), t.nbytes());
    }
  }
  return h;
}

std::string hex_digits(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf).substr(static_cast<size_t>(16 - digits));
}

}  // namespace sanity
