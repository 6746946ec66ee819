#pragma once
// The .npy files a study keeps (its saved maps, the trained model's cached maps, the grid's images)
// carry a SHA-256 of their bytes in a file beside them (<file>.sha256). A header and size can be intact
// over a garbage body; only a checksum of the content shows it. The checksum is written after the file
// (a crash between the two leaves a mismatch, never a trusted half), and a file without one is not
// trusted: a resume computes its unit again (--repair), the report refuses it.
#include <torch/types.h>

#include <string>

namespace sanity {

void write_checked_npy(const std::string& path, const torch::Tensor& t);
// "" when the file is intact and its bytes match its checksum; else what is wrong, naming the file.
std::string checked_npy_problem(const std::string& path);
// The array, or InputError with checked_npy_problem's text.
torch::Tensor read_checked_npy(const std::string& path);
// Copies a checked file and its checksum to `to` (unless `to` exists), after checking it: InputError
// naming a damaged source. False when `from` does not exist.
bool copy_checked_npy(const std::string& from, const std::string& to);

}  // namespace sanity
