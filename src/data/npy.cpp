#include "data/npy.h"

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"

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

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open .npy file");
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY")
    throw InputError(path + ": not a .npy file (magic string \\x93NUMPY missing)");
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  } else {
    throw InputError(path + ": .npy format version " + std::to_string(major) + " is not supported");
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw InputError(path + ": truncated .npy header");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
    throw InputError(path + ": .npy header has no 'descr' field");
  const std::string descr = m[1];
  torch::ScalarType type = torch::kFloat32;
  bool found = false;
  for (const auto& t : kTypes)
    if (descr == t.descr) type = t.type, found = true;
  if (!found)
    throw InputError(path + ": .npy field 'descr' is '" + descr + "'; expected little-endian <f4, <f8, <i8, <i4 or |u1");
  if (std::regex_search(header, m, std::regex("'fortran_order':\\s*True")))
    throw InputError(path + ": .npy field 'fortran_order' is True; save the array in C order");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw InputError(path + ": .npy header has no 'shape' field");
  std::vector<int64_t> shape;
  std::stringstream ss(m[1].str());
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_not_of(" ") != std::string::npos) shape.push_back(std::stoll(item));
  torch::Tensor t = torch::empty(shape, type);
  const auto bytes = static_cast<std::streamsize>(t.numel() * t.element_size());
  if (!in.read(static_cast<char*>(t.data_ptr()), bytes))
    throw InputError(path + ": .npy data is shorter than its shape promises (truncated file)");
  return t;
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
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write .npy file");
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    const char l[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(l, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    if (!out) throw InputError(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw InputError(path + ": cannot write .npy file");
}

}  // namespace sanity
