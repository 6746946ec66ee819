#include "attribution/options.h"

#include <charconv>
#include <cmath>

#include "core/error.h"

namespace sanity {

std::string format_number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::string get_choice(const MethodSpec& spec, const std::string& key, const std::vector<std::string>& valid) {
  const std::string v = spec.get_string(key, valid.at(0));
  for (const auto& c : valid)
    if (c == v) return v;
  std::string list;
  for (const auto& c : valid) list += (list.empty() ? "" : ", ") + c;
  throw InputError("method " + spec.name + ": option " + key + "=" + v + " is not valid; expected one of " + list);
}

int64_t get_int_at_least(const MethodSpec& spec, const std::string& key, int64_t fallback, int64_t min_value) {
  const int64_t v = spec.get_int(key, fallback);
  if (v < min_value)
    throw InputError("method " + spec.name + ": option " + key + "=" + std::to_string(v) + " must be at least " +
                     std::to_string(min_value));
  return v;
}

double get_double_at_least(const MethodSpec& spec, const std::string& key, double fallback, double min_value) {
  const double v = spec.get_double(key, fallback);
  if (!std::isfinite(v) || v < min_value)
    throw InputError("method " + spec.name + ": option " + key + "=" + spec.get_string(key, "") +
                     " must be a number >= " + format_number(min_value));
  return v;
}

}  // namespace sanity
