// libFuzzer target: an LRP rules file (read_rule_map: strict JSON, then each entry's fields and its
// rule spec). The reader takes a path, so each input is written to one scratch file first.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "attribution/composites.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("fuzz_rules_" + std::to_string(getpid()) + ".json")).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)sanity::read_rule_map(path).size();
  } catch (const sanity::InputError&) {
  } catch (const sanity::UnsupportedError&) {
  }
  return 0;
}
