#include "core/settings.h"

#include <charconv>
#include <cmath>

#include "core/error.h"
#include "core/options.h"

namespace sanity {
namespace {

std::string join_words(const std::vector<std::string>& words, const std::string& last) {
  std::string s;
  for (size_t i = 0; i < words.size(); ++i)
    s += (i == 0 ? "" : i + 1 == words.size() ? " " + last + " " : ", ") + words[i];
  return s;
}

const Setting* find_setting(const std::vector<Setting>& table, const std::string& name, bool by_flag) {
  for (const Setting& s : table)
    if ((by_flag ? s.flag : s.key) == name) return &s;
  return nullptr;
}

bool is_group(const std::vector<Setting>& table, const std::string& key) {
  for (const Setting& s : table)
    if (s.key.rfind(key + ".", 0) == 0) return true;
  return false;
}

// A name for something that is not a setting (an unknown or misplaced field).
std::string name_of(const SettingName& name, const std::string& key) {
  Setting s;
  s.key = s.flag = key;
  return name(s);
}

void set_checked(const Setting& s, const nlohmann::json& v, void* settings, const SettingName& name) {
  if (v.is_null()) return;  // the caller's "default"
  if (!s.accepts(v)) throw InputError(name(s) + ": expected " + s.expected() + ", got " + v.dump());
  s.set(settings, v);
}

std::string table_cell(std::string s) {
  for (size_t at = s.find('|'); at != std::string::npos; at = s.find('|', at + 2)) s.replace(at, 1, "\\|");
  return s;
}

std::string valid_keys(const std::vector<Setting>& table, bool by_flag) {
  std::vector<std::string> keys;
  for (const Setting& s : table) keys.push_back(by_flag ? s.flag : s.key);
  return join_words(keys, "or");
}

void apply_object(const std::vector<Setting>& table, const nlohmann::json& values, const std::string& prefix,
                  void* settings, const SettingName& name) {
  if (!values.is_object())
    throw InputError(name_of(name, prefix.substr(0, prefix.size() - 1)) + ": expected a JSON object, got " + values.dump());
  for (auto it = values.begin(); it != values.end(); ++it) {
    const std::string key = prefix + it.key();
    if (const Setting* s = find_setting(table, key, false)) set_checked(*s, it.value(), settings, name);
    else if (is_group(table, key)) apply_object(table, it.value(), key + ".", settings, name);
    else throw InputError(name_of(name, key) + ": unknown field; expected " + valid_keys(table, false));
  }
}

}  // namespace

bool Bounds::contains(double v) const {
  return (open_min ? v > min : v >= min) && (open_max ? v < max : v <= max);
}

std::string Bounds::text() const {
  // Whole numbers as integers: "1000000", not "1e+06".
  const auto number = [](double v) {
    return v == std::floor(v) && std::abs(v) < 1e15 ? std::to_string(static_cast<int64_t>(v)) : format_number(v);
  };
  const bool low = std::isfinite(min), high = std::isfinite(max);
  if (low && high) return "in " + std::string(open_min ? "(" : "[") + number(min) + ", " + number(max) + (open_max ? ")" : "]");
  if (low) return (open_min ? "> " : ">= ") + number(min);
  if (high) return (open_max ? "< " : "<= ") + number(max);
  return "";
}

std::string Setting::expected() const {
  // Appended, not " " + std::string&& (GCC 12 at -O3 reports a false -Warray-bounds for that).
  std::string range = bounds.text();
  if (!range.empty()) range.insert(range.begin(), ' ');
  switch (kind) {
    case Kind::Integer: return "an integer" + range;
    case Kind::Number: return "a number" + range;
    case Kind::Choice: return join_words(words, "or");
    case Kind::Text: return "a non-empty string";
    case Kind::Boolean: return "true or false";
  }
  return "";
}

bool Setting::accepts(const nlohmann::json& v) const {
  switch (kind) {
    case Kind::Integer: return v.is_number_integer() && bounds.contains(v.get<double>()) && v.get<double>() <= type_max;
    case Kind::Number: return v.is_number() && std::isfinite(v.get<double>()) && bounds.contains(v.get<double>());
    case Kind::Choice: return v.is_string() && std::find(words.begin(), words.end(), v.get<std::string>()) != words.end();
    case Kind::Text: return v.is_string() && !v.get<std::string>().empty();
    case Kind::Boolean: return v.is_boolean();
  }
  return false;
}

nlohmann::json Setting::from_text(const std::string& text) const {
  const char* first = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  const auto whole = [&](auto& out) {
    const auto [end, ec] = std::from_chars(first, last, out);
    return ec == std::errc() && end == last;
  };
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  if (kind == Kind::Integer && whole(i)) return i;
  if (kind == Kind::Integer && whole(u)) return u;
  if (kind == Kind::Number && whole(d) && std::isfinite(d)) return d;
  if (kind == Kind::Boolean && (text == "true" || text == "false")) return text == "true";
  return text;
}

SettingName config_field(const std::string& origin, const std::string& path) {
  return [=](const Setting& s) { return origin + ": field '" + path + (path.empty() || s.key.empty() ? "" : ".") + s.key + "'"; };
}

SettingName cli_flag() {
  return [](const Setting& s) {
    std::string flag = "--" + s.flag;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  };
}

SettingName python_argument(const std::string& function) {
  return [=](const Setting& s) { return function + ": argument " + s.flag; };
}

nlohmann::json settings_json(const std::vector<Setting>& table, const void* settings) {
  nlohmann::json j = nlohmann::json::object();
  for (const Setting& s : table) {
    std::string pointer = "/" + s.key;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    j[nlohmann::json::json_pointer(pointer)] = s.get(settings);
  }
  return j;
}

void apply_settings(const std::vector<Setting>& table, const nlohmann::json& values, void* settings,
                    const SettingName& name) {
  apply_object(table, values, "", settings, name);
}

void apply_flags(const std::vector<Setting>& table, const nlohmann::json& values, void* settings,
                 const SettingName& name) {
  for (auto it = values.begin(); it != values.end(); ++it) {
    const Setting* s = find_setting(table, it.key(), true);
    if (!s) throw InputError(name_of(name, it.key()) + ": unknown setting; expected " + valid_keys(table, true));
    set_checked(*s, it.value(), settings, name);
  }
}

std::string setting_value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>().empty() ? "\"\"" : v.get<std::string>();
  return v.is_number_float() ? format_number(v.get<double>()) : v.dump();
}

std::string settings_markdown(const std::vector<Setting>& table, const void* defaults, const std::string& prefix) {
  std::string md = "| field | flag | type | default | meaning |\n|---|---|---|---|---|\n";
  const SettingName flag = cli_flag();
  for (const Setting& s : table) {
    md += "| `" + prefix + s.key + "` | `" + flag(s) + "` | " + table_cell(s.expected()) + " | " +
          table_cell(setting_value_text(s.get(defaults))) + " | " + table_cell(s.help) + " |\n";
  }
  return md;
}

}  // namespace sanity
