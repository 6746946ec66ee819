#include "report/markup.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace sanity::report {

std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (two ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += two ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string data_uri(const std::string& mime, std::string_view bytes) { return "data:" + mime + ";base64," + base64(bytes); }

std::string format_number(double v, const char* format) {
  if (!std::isfinite(v)) return "\u2013";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string attribute_number(double v) { return std::isfinite(v) ? format_number(v, "%.17g") : "nan"; }

}  // namespace sanity::report
