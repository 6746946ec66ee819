#pragma once
// JSON files a user writes (study configs, LRP rules files), read strictly: a syntax error or a key
// given twice in one object is an InputError naming the file and the key, where nlohmann::json alone
// would keep the last value silently, and nesting past kMaxJsonDepth is an InputError too.
#include <nlohmann/json.hpp>

#include <istream>
#include <string>

namespace sanity {

// Deeper nesting than this is refused while parsing (study configs and rules files need a few levels).
inline constexpr int kMaxJsonDepth = 64;

nlohmann::json parse_json_strict(std::istream& in, const std::string& origin);

}  // namespace sanity
