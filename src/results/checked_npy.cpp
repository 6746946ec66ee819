#include "results/checked_npy.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/sha256.h"
#include "data/npy.h"

namespace sanity {
namespace {

namespace fs = std::filesystem;

std::string checksum_path(const std::string& path) { return path + ".sha256"; }

// What is wrong with `bytes` as the content of `path` ("" when it matches its checksum file).
std::string checksum_problem(const std::string& path, const std::string& bytes) {
  const std::string sum = checksum_path(path);
  if (!fs::is_regular_file(sum)) return "'" + path + "' has no checksum ('" + sum + "' is missing)";
  std::string expected = read_file_bytes(sum);
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == ' ')) expected.pop_back();
  if (expected != sha256_bytes(bytes)) return "'" + path + "': its content does not match its checksum (damaged)";
  return "";
}

}  // namespace

void write_checked_npy(const std::string& path, const torch::Tensor& t) {
  write_npy(path, t);
  write_file_atomically(checksum_path(path), sha256_bytes(read_file_bytes(path)) + "\n");
}

std::string checked_npy_problem(const std::string& path) {
  std::string problem = npy_problem(path);
  if (!problem.empty()) return problem;
  return checksum_problem(path, read_file_bytes(path));
}

torch::Tensor read_checked_npy(const std::string& path) {
  if (!fs::is_regular_file(path)) throw InputError("'" + path + "' is missing");
  const std::string bytes = read_file_bytes(path);
  const std::string problem = checksum_problem(path, bytes);
  if (!problem.empty()) throw InputError(problem);
  std::istringstream in(bytes);
  return parse_npy(in, path);
}

bool copy_checked_npy(const std::string& from, const std::string& to) {
  if (!fs::exists(from) || fs::exists(to)) return false;
  const std::string bytes = read_file_bytes(from);
  std::string problem = npy_problem(from);
  if (problem.empty()) problem = checksum_problem(from, bytes);
  if (!problem.empty()) throw InputError(problem);
  fs::create_directories(fs::path(to).parent_path());
  write_file_atomically(to, bytes);
  write_file_atomically(checksum_path(to), read_file_bytes(checksum_path(from)));
  return true;
}

}  // namespace sanity
