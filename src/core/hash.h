#pragma once
// Exact content fingerprints: 64-bit FNV-1a over raw bytes, a word at a time (VGG-16's weights or a
// 60,000-image training set hash in a fraction of a second). Caches and result keys use them, so that
// changed contents never meet results computed from other ones. Not a defence against deliberate
// collisions; files fetched from outside are checked with SHA-256 (sha256.h).
#include <cstdint>
#include <string>

#include <torch/types.h>

namespace sanity {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes);
uint64_t fnv1a(uint64_t h, const std::string& s);  // includes the terminating zero: "a","b" != "ab",""
// The tensor's dtype, shape and values (copied to the CPU when it lives elsewhere).
uint64_t fnv1a(uint64_t h, const torch::Tensor& t);
// The low `digits` hexadecimal digits of v.
std::string hex_digits(uint64_t v, int digits = 16);

}  // namespace sanity
