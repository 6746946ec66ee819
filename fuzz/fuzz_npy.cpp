// libFuzzer target: the .npy reader (parse_npy) on arbitrary bytes, as images and as labels.
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const torch::Tensor t = sanity::parse_npy(in, "fuzz.npy");
    (void)t.numel();
  } catch (const sanity::InputError&) {
  }
  return 0;
}
