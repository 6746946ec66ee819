#include "core/rng.h"

#include <ATen/CPUGeneratorImpl.h>

namespace sanity {

at::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

uint64_t derive_seed(uint64_t base, std::string_view purpose, uint64_t index) {
  uint64_t h = 1469598103934665603ull;
  for (char c : purpose) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  uint64_t z = base ^ h ^ (index * 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace sanity
