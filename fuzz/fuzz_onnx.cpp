// libFuzzer target: the ONNX importer on arbitrary bytes (load_onnx_bytes). Bad input must end in
// InputError or UnsupportedError, never a crash, a hang or another exception.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "models/model_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    sanity::Graph g = sanity::load_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    (void)g.size();
  } catch (const sanity::InputError&) {
  } catch (const sanity::UnsupportedError&) {
  }
  return 0;
}
