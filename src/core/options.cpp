#include "core/options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace sanity {
namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

bool is_word(const Option& o, const std::string& v) {
  return std::find(o.words.begin(), o.words.end(), v) != o.words.end();
}

// Parses the whole text as a number; false if any character is left over.
bool read_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end != text.c_str() && *end == '\0';
}

bool read_integer(const std::string& text, int64_t& out) {
  const char* first = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The canonical text of one given value, or an InputError naming the owner, option and value.
std::string canonical_value(const Option& o, const std::string& v, const std::string& what) {
  const std::string prefix = what + ": option " + o.key + "=" + v;
  std::string text = v;
  switch (o.type) {
    case OptionType::Integer: {
      int64_t i = 0;
      if (!read_integer(v, i)) throw InputError(prefix + " is not an integer");
      if (static_cast<double>(i) < o.min)
        throw InputError(prefix + " must be at least " + std::to_string(static_cast<int64_t>(o.min)));
      if (static_cast<double>(i) > o.max)
        throw InputError(prefix + " must be at most " + std::to_string(static_cast<int64_t>(o.max)));
      text = std::to_string(i);
      break;
    }
    case OptionType::Number: {
      if (is_word(o, v)) break;
      double d = 0;
      if (!read_number(v, d))
        throw InputError(prefix + " is not a number" + (o.words.empty() ? "" : " or one of " + join(o.words)));
      if (!std::isfinite(d)) throw InputError(prefix + " must be a finite number");
      if (d < o.min) throw InputError(prefix + " must be >= " + format_number(o.min));
      if (d > o.max) throw InputError(prefix + " must be <= " + format_number(o.max));
      text = format_number(d);
      break;
    }
    case OptionType::Choice:
      if (!is_word(o, v)) throw InputError(prefix + " is not valid; expected one of " + join(o.words));
      break;
    case OptionType::Text:
      if (v.empty()) throw InputError(prefix + " is empty");
      break;
  }
  if (o.check)
    if (const std::string problem = o.check(text); !problem.empty()) throw InputError(prefix + " " + problem);
  return text;
}

}  // namespace

std::string format_number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

Option integer_option(std::string key, int64_t fallback, std::string help, int64_t min, int64_t max) {
  Option o{std::move(key), OptionType::Integer, std::to_string(fallback), std::move(help)};
  o.min = static_cast<double>(min);
  o.max = static_cast<double>(max);
  return o;
}

Option number_option(std::string key, double fallback, std::string help, double min, double max) {
  Option o{std::move(key), OptionType::Number, format_number(fallback), std::move(help)};
  o.min = min;
  o.max = max;
  return o;
}

Option number_or_word_option(std::string key, std::vector<std::string> words, std::string help) {
  Option o{std::move(key), OptionType::Number, words.at(0), std::move(help)};
  o.words = std::move(words);
  return o;
}

Option choice_option(std::string key, std::vector<std::string> choices, std::string help) {
  Option o{std::move(key), OptionType::Choice, choices.at(0), std::move(help)};
  o.words = std::move(choices);
  return o;
}

Option text_option(std::string key, std::string fallback, std::string help) {
  return {std::move(key), OptionType::Text, std::move(fallback), std::move(help)};
}

Option optional(Option o) {
  o.fallback.clear();
  return o;
}

Spec resolve_options(const Spec& given, const std::vector<Option>& options, const std::string& what) {
  Spec out = given;
  for (const auto& entry : given.options) {
    const std::string& key = entry.first;
    const auto it = std::find_if(options.begin(), options.end(), [&](const Option& o) { return o.key == key; });
    if (it == options.end()) {
      std::vector<std::string> keys;
      for (const auto& o : options) keys.push_back(o.key);
      throw InputError(what + ": unknown option '" + key + "'; valid options: " + (keys.empty() ? "none" : join(keys)));
    }
    out.options[key] = canonical_value(*it, entry.second, what);
  }
  for (const auto& o : options)
    if (!o.fallback.empty()) out.options.emplace(o.key, o.fallback);  // keeps the given value
  return out;
}

std::string option_type_text(const Option& o) {
  switch (o.type) {
    case OptionType::Integer:
      return "integer" + (std::isfinite(o.min) && o.min > std::numeric_limits<int32_t>::min() ? " >= " + format_number(o.min) : "");
    case OptionType::Number: {
      std::string s = "number";
      if (std::isfinite(o.min) && std::isfinite(o.max)) s += " in [" + format_number(o.min) + ", " + format_number(o.max) + "]";
      else if (std::isfinite(o.min)) s += " >= " + format_number(o.min);
      return o.words.empty() ? s : join(o.words, "|") + "|" + s;
    }
    case OptionType::Choice: return join(o.words, "|");
    case OptionType::Text: return "text";
  }
  return "";
}

std::string option_synopsis(const Option& o) {
  if (o.type == OptionType::Choice) return o.key + "=" + join(o.words, "|");
  return o.fallback.empty() ? o.key : o.key + "=" + o.fallback;
}

}  // namespace sanity
