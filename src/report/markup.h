#pragma once
// Text encodings for the SVG and HTML the report writes: escaping and base64 data URIs.
#include <string>
#include <string_view>

namespace sanity::report {

// Escapes & < > " ' for text and attribute values in HTML and SVG.
std::string escape_markup(std::string_view text);
// Standard base64 (RFC 4648, padded).
std::string base64(std::string_view bytes);
// "data:<mime>;base64,<...>": embeds a file in the page, so opening it needs no other file and no network.
std::string data_uri(const std::string& mime, std::string_view bytes);
// A number for the reader, printf-formatted; an en dash for NaN or infinity (not measured, undefined).
std::string format_number(double v, const char* format = "%.3g");
// A number for a data-* attribute: every digit (%.17g reads back to the same double), "nan" if undefined.
std::string attribute_number(double v);

}  // namespace sanity::report
