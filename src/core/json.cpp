#include "core/json.h"

#include <set>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace sanity {

std::string json_error_text(const nlohmann::json::exception& e) {
  std::string s = e.what();
  if (const size_t tag = s.find("] "); s.rfind("[json.exception.", 0) == 0 && tag != std::string::npos) s.erase(0, tag + 2);
  if (s.rfind("parse error ", 0) == 0) s.erase(0, 12);
  if (const size_t at = s.find("syntax error while parsing "); at != std::string::npos)
    if (const size_t dash = s.find(" - ", at); dash != std::string::npos) s.erase(at, dash + 3 - at);
  return s;
}

nlohmann::json parse_json_strict(std::istream& in, const std::string& origin) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  const nlohmann::json::parser_callback_t check = [&](int depth, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    // Readers walk the document recursively, and so does freeing it: a bound on the nesting keeps a
    // hostile file (50,000 nested objects in 300 KB) from overflowing the stack.
    if ((event == E::object_start || event == E::array_start) && depth >= kMaxJsonDepth)
      throw InputError(origin + ": nested deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels of objects and arrays; a sanity file needs a few");
    if (event == E::object_start) keys.emplace_back();
    if (event == E::object_end && !keys.empty()) keys.pop_back();
    if (event == E::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
      throw InputError(origin + ": key \"" + parsed.get<std::string>() + "\" appears twice in one object (at depth " +
                       std::to_string(depth) + "); give each field once");
    return true;
  };
  try {
    return nlohmann::json::parse(in, check);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(origin + ": not valid JSON " + json_error_text(e));
  } catch (const nlohmann::json::out_of_range& e) {  // a number beyond double's range (found by fuzz_study_config)
    throw InputError(origin + ": not valid JSON: " + json_error_text(e));
  }
}

nlohmann::json parse_json_text(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  return parse_json_strict(in, origin);
}

}  // namespace sanity
