#include "core/spec.h"

#include <cctype>
#include <cstdlib>
#include <set>
#include <string>

#include "core/error.h"

namespace sanity {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Spec parse() {
    Spec m = spec();
    skip();
    if (i_ != s_.size()) fail("unexpected '" + std::string(1, s_[i_]) + "'");
    return m;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const std::string shown = s_.size() > 120 ? s_.substr(0, 100) + "..." : s_;  // errors stay one readable line
    throw InputError("method '" + shown + "': " + what + " at position " + std::to_string(i_ + 1) +
                     " (expected name(key=value, ...))");
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string word() {
    skip();
    const size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                              std::string("_.-+/:").find(s_[i_]) != std::string::npos))
      ++i_;
    if (start == i_) fail("expected a name or value");
    return s_.substr(start, i_ - start);
  }
  Spec spec(int depth = 1) {
    if (depth > kMaxSpecDepth)
      fail("specs nest at most " + std::to_string(kMaxSpecDepth) + " deep (smoothgrad(vargrad(gradient)) is 3)");
    Spec m;
    m.name = word();
    skip();
    if (i_ >= s_.size() || s_[i_] != '(') return m;
    ++i_;
    skip();
    if (i_ < s_.size() && s_[i_] == ')') {
      ++i_;
      return m;
    }
    while (true) {
      const size_t save = i_;
      std::string key = word();
      skip();
      if (i_ < s_.size() && s_[i_] == '=') {
        ++i_;
        if (m.options.count(key)) fail("option '" + key + "' given twice");
        m.options[key] = word();
      } else {
        if (!m.options.empty()) fail("a wrapped method must come before the options");
        i_ = save;
        m.methods.push_back(spec(depth + 1));
      }
      skip();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ')') {
        ++i_;
        return m;
      }
      fail("expected ',' or ')'");
    }
  }

  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace

std::string Spec::str() const {
  if (methods.empty() && options.empty()) return name;
  std::string s = name + "(";
  bool first = true;
  for (const auto& m : methods) {
    s += (first ? "" : ", ") + m.str();
    first = false;
  }
  for (const auto& [k, v] : options) {
    s += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  return s + ")";
}

double Spec::get_double(const std::string& key, double fallback) const {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end)
    throw InputError(name + ": option " + key + "=" + it->second + " is not a number");
  return v;
}

int64_t Spec::get_int(const std::string& key, int64_t fallback) const {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end)
    throw InputError(name + ": option " + key + "=" + it->second + " is not an integer");
  return v;
}

std::string Spec::get_string(const std::string& key, const std::string& fallback) const {
  auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

Spec parse_method_spec(const std::string& text) { return Parser(text).parse(); }

std::vector<Spec> parse_method_list(const std::string& text) {
  std::vector<Spec> out;
  if (text.find_first_not_of(" \t,") == std::string::npos) return out;  // the caller says what it needs
  // Linear in the list's length (a 64 KB list was quadratic: the text copied and every pair of
  // entries printed per entry): the error's text is built only when thrown.
  std::set<std::string> seen;
  const auto where = [&] { return "list '" + text + "', entry " + std::to_string(out.size() + 1); };
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      const std::string part = text.substr(start, i - start);
      if (part.find_first_not_of(" \t") == std::string::npos) throw InputError(where() + " is empty");
      Spec spec = parse_method_spec(part);
      if (!seen.insert(spec.str()).second) throw InputError(where() + ": " + spec.str() + " is given twice");
      out.push_back(std::move(spec));
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return out;
}

}  // namespace sanity
