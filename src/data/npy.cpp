#include "data/npy.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/files.h"

namespace sanity {
namespace {

struct DType {
  const char* descr;
  torch::ScalarType type;
};
constexpr DType kTypes[] = {{"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}, {"<i8", torch::kInt64},
                            {"<i4", torch::kInt32},   {"|u1", torch::kUInt8},   {"<u1", torch::kUInt8},
                            {"|b1", torch::kBool}};

}  // namespace

namespace {

struct NpyHeader {
  torch::ScalarType type = torch::kFloat32;
  std::vector<int64_t> shape;
  uint64_t data_offset = 0, data_bytes = 0;
};

const char* kAccepted = "<f4, <f8, <i8, <i4, |u1 or |b1";

// Reads and checks the header against the file's size before anything is allocated: a header that
// promises more (or less) data than the file holds is an error naming the file, not an allocation.
NpyHeader read_header(std::istream& in, const std::string& path) {
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  in.seekg(0);
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY")
    throw InputError(path + ": not a .npy file (magic string \\x93NUMPY missing)");
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  unsigned char b[4] = {0, 0, 0, 0};
  if (major == 1) {
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw InputError(path + ": truncated .npy header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw InputError(path + ": truncated .npy header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  } else {
    throw InputError(path + ": .npy format version " + std::to_string(major) + " is not supported");
  }
  const uint64_t prefix = major == 1 ? 10 : 12;
  if (prefix + header_len > file_size) throw InputError(path + ": truncated .npy header");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw InputError(path + ": truncated .npy header");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
    throw InputError(path + ": .npy header has no 'descr' field");
  const std::string descr = m[1];
  NpyHeader h;
  bool found = false;
  for (const auto& t : kTypes)
    if (descr == t.descr) h.type = t.type, found = true;
  if (!found) throw InputError(path + ": .npy field 'descr' is '" + descr + "'; expected " + kAccepted);
  if (std::regex_search(header, m, std::regex("'fortran_order':\\s*True")))
    throw InputError(path + ": .npy field 'fortran_order' is True; save the array in C order");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw InputError(path + ": .npy header has no 'shape' field");
  uint64_t count = 1;
  std::stringstream ss(m[1].str());
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t first = item.find_first_not_of(" "), last = item.find_last_not_of(" L");
    if (first == std::string::npos) continue;
    const std::string digits = item.substr(first, last - first + 1);
    int64_t d = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec != std::errc() || end != digits.data() + digits.size() || d < 0)
      throw InputError(path + ": .npy field 'shape' has entry '" + digits + "'; expected non-negative integers");
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count))
      throw InputError(path + ": .npy field 'shape' promises more elements than any file can hold");
    h.shape.push_back(d);
  }
  const uint64_t elem = torch::elementSize(h.type);
  if (__builtin_mul_overflow(count, elem, &h.data_bytes))
    throw InputError(path + ": .npy field 'shape' promises more bytes than any file can hold");
  h.data_offset = prefix + header_len;
  const uint64_t held = file_size - h.data_offset;
  if (held != h.data_bytes)
    throw InputError(path + ": .npy data is " + std::to_string(held) + " bytes, its shape promises " +
                     std::to_string(h.data_bytes) + (held < h.data_bytes ? " (truncated file)" : ""));
  return h;
}

}  // namespace

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open .npy file");
  return parse_npy(in, path);
}

torch::Tensor parse_npy(std::istream& in, const std::string& path) {
  const NpyHeader h = read_header(in, path);
  torch::Tensor t = torch::empty(h.shape, h.type);
  if (!in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(h.data_bytes)))
    throw InputError(path + ": .npy data is shorter than its shape promises (truncated file)");
  return t;
}

std::string npy_problem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": missing";
  try {
    read_header(in, path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void write_npy(const std::string& path, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  const char* descr = nullptr;
  for (const auto& d : kTypes)
    if (d.type == t.scalar_type() && !descr) descr = d.descr;
  if (!descr) {
    t = t.to(torch::kFloat32);
    descr = "<f4";
  }
  std::ostringstream shape;
  shape << "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape << t.size(i) << (t.dim() == 1 || i + 1 < t.dim() ? "," : "");
  shape << ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  const size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  const std::string tmp = temporary_name(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write .npy file");
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    const char l[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(l, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    if (!out.flush()) {
      out.close();
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write .npy file");
  }
}

}  // namespace sanity
