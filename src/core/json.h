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
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);
// nlohmann's message in our words: "at line 3, column 7: unexpected ','; expected '[', '{', or a
// literal" for "[json.exception.parse_error.101] parse error at line 3, column 7: syntax error while
// parsing value - unexpected ','; ...".
std::string json_error_text(const nlohmann::json::exception& e);

}  // namespace sanity
