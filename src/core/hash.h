#pragma once
// Content keys: XXH3-128 (xxHash) over raw bytes, streamed (VGG-16's weights or a 60,000-image
// training set hash in a fraction of a second). Caches and result keys use them, so that changed
// contents never meet results computed from other ones; at 128 bits an accidental collision of two
// keys is not a practical event. Not a defence against deliberate collisions: files fetched from
// outside are checked with SHA-256 (sha256.h).
//
//   const ContentKey::Digest d = ContentKey().add(spec).add(images).digest();
//   d.hex()   // 32 hexadecimal digits, what a run's identity records
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include <torch/types.h>

namespace sanity {

class ContentKey {
 public:
  struct Digest {
    uint64_t high = 0, low = 0;
    auto operator<=>(const Digest&) const = default;
    std::string hex(int digits = 32) const;  // the low `digits` hexadecimal digits
  };

  ContentKey();
  ContentKey(ContentKey&&) noexcept;
  ContentKey& operator=(ContentKey&&) noexcept;
  ~ContentKey();

  ContentKey& add(const void* data, size_t bytes);
  ContentKey& add(const std::string& s);  // with its terminating zero: "a","b" != "ab",""
  ContentKey& add(const char* s) { return add(std::string(s)); }
  // The tensor's dtype, shape and values (copied to the CPU when it lives elsewhere).
  ContentKey& add(const torch::Tensor& t);
  ContentKey& add(const Digest& d) { return add(&d, sizeof d); }
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
  ContentKey& add(T value) {
    return add(&value, sizeof value);
  }
  Digest digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sanity
