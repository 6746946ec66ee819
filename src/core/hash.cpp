#include "core/hash.h"

#include <xxhash.h>

#include <cstdio>

namespace sanity {

struct ContentKey::State {
  XXH3_state_t* xxh = XXH3_createState();
  State() { XXH3_128bits_reset(xxh); }
  ~State() { XXH3_freeState(xxh); }
};

ContentKey::ContentKey() : state_(std::make_unique<State>()) {}
ContentKey::ContentKey(ContentKey&&) noexcept = default;
ContentKey& ContentKey::operator=(ContentKey&&) noexcept = default;
ContentKey::~ContentKey() = default;

ContentKey& ContentKey::add(const void* data, size_t bytes) {
  XXH3_128bits_update(state_->xxh, data, bytes);
  return *this;
}

ContentKey& ContentKey::add(const std::string& s) { return add(s.c_str(), s.size() + 1); }

ContentKey& ContentKey::add(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  add(static_cast<int64_t>(c.scalar_type()));
  add(c.sizes().data(), c.sizes().size() * sizeof(int64_t));
  return add(c.data_ptr(), c.nbytes());
}

ContentKey::Digest ContentKey::digest() const {
  const XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
  return {h.high64, h.low64};
}

std::string ContentKey::Digest::hex(int digits) const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high), static_cast<unsigned long long>(low));
  return std::string(buf).substr(static_cast<size_t>(32 - digits));
}

}  // namespace sanity
