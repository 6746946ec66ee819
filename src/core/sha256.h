#pragma once
// SHA-256 of a file, to check downloaded data against the checksums in docs/DATA.md.
#include <string>

namespace sanity {

// Lower-case hex digest; throws InputError if the file cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_bytes(const std::string& bytes);

}  // namespace sanity
