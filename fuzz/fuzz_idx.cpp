// libFuzzer target: the IDX reader (parse_idx_ubyte) on arbitrary bytes, as images and as labels.
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<unsigned char> bytes(data, data + size);
  for (int dims : {3, 1}) {
    try {
      (void)sanity::parse_idx_ubyte(bytes, "fuzz.idx", dims).numel();
    } catch (const sanity::InputError&) {
    }
  }
  return 0;
}
