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

}  // namespace sanity::report
