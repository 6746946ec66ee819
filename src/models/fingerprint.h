#pragma once
// Exact content fingerprints (64-bit FNV-1a over the raw bytes): a model's names, layer kinds and
// weights, or a tensor. Caches key on them, so a randomized or retrained model never reuses what was
// computed for another one.
#include <cstdint>
#include <string>

#include "models/graph.h"

namespace sanity {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes);
uint64_t fnv1a(uint64_t h, const std::string& s);  // includes the terminating zero: "a","b" != "ab",""
// The tensor's dtype, shape and values (copied to the CPU when it lives elsewhere).
uint64_t fnv1a(uint64_t h, const Tensor& t);
uint64_t model_fingerprint(const Graph& g);
// The low `digits` hexadecimal digits of v.
std::string hex_digits(uint64_t v, int digits = 16);

}  // namespace sanity
