// libFuzzer target: the study-config parser (strict JSON, then every field) on arbitrary bytes.
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "study/study_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const sanity::StudyConfig c = sanity::parse_study_config(sanity::parse_json_strict(in, "fuzz.json"), "fuzz.json");
    (void)c.to_json().dump();
  } catch (const sanity::InputError&) {
  }
  return 0;
}
