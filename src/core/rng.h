#pragma once
// Reproducible randomness: every random draw in sanity takes an explicit generator seeded from
// (base seed, purpose, index), never the global one, so results do not depend on call order.
#include <ATen/core/Generator.h>

#include <cstdint>
#include <string_view>

namespace sanity {

// A CPU generator for `seed`. Draw on CPU and move to the device, so CPU and CUDA runs agree.
at::Generator make_generator(uint64_t seed);

// Derives a child seed from a base seed, a purpose label and an index (splitmix64 over an FNV-1a hash).
uint64_t derive_seed(uint64_t base, std::string_view purpose, uint64_t index = 0);

}  // namespace sanity
