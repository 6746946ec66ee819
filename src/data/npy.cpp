#include "data/npy.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
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

// The header's dictionary, read as numpy writes it and numpy.load reads it: exactly the keys 'descr',
// 'fortran_order' (True or False) and 'shape' (a tuple of non-negative integers), each once, in a
// {...} with nothing after it but spaces and the newline. A header of any other form is named, not
// guessed at (a missing brace or an unknown key was read past before).
class HeaderDict {
 public:
  HeaderDict(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool descr = false, order = false, shape = false;
    expect('{');
    while (skip_spaces() != '}') {
      if (peek() == '\0') fail("is missing its closing '}'");
      const std::string key = quoted();
      expect(':');
      bool& seen = key == "descr" ? descr : key == "fortran_order" ? order : key == "shape" ? shape : fail_key(key);
      if (seen) fail("field '" + key + "' is given twice");
      seen = true;
      if (key == "descr") h.type = dtype(quoted());
      if (key == "fortran_order") read_fortran_order();
      if (key == "shape") h.shape = tuple();
      if (skip_spaces() == ',') ++i_;
      else if (peek() != '}') fail("expected ',' or '}' after field '" + key + "'");
    }
    ++i_;
    if (skip_spaces() != '\0') fail("unexpected text after the closing '}'");
    for (const auto& [name, given] : {std::pair{"descr", descr}, {"fortran_order", order}, {"shape", shape}})
      if (!given) fail(std::string("has no '") + name + "' field");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(path_ + ": .npy header " + what); }
  [[noreturn]] bool& fail_key(const std::string& key) const {
    fail("has the unknown field '" + key + "'; expected exactly 'descr', 'fortran_order' and 'shape'");
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  char skip_spaces() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n')) ++i_;
    return peek();
  }
  void expect(char c) {
    if (skip_spaces() != c) fail(std::string("expected '") + c + "' at byte " + std::to_string(i_));
    ++i_;
  }
  std::string quoted() {
    expect('\'');
    const size_t close = s_.find('\'', i_);
    if (close == std::string::npos) fail("has an unterminated string");
    std::string out = s_.substr(i_, close - i_);
    i_ = close + 1;
    return out;
  }
  torch::ScalarType dtype(const std::string& descr) const {
    for (const auto& t : kTypes)
      if (descr == t.descr) return t.type;
    fail("field 'descr' is '" + descr + "'; expected " + kAccepted);
  }
  void read_fortran_order() {
    skip_spaces();
    if (s_.compare(i_, 5, "False") == 0) i_ += 5;
    else if (s_.compare(i_, 4, "True") == 0) fail("field 'fortran_order' is True; save the array in C order");
    else fail("field 'fortran_order' must be True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> shape;
    expect('(');
    while (skip_spaces() != ')') {
      if (peek() == '\0') fail("field 'shape' is missing its closing ')'");
      const size_t stop = std::min(s_.find_first_of(",)}\n", i_), s_.size());
      std::string entry = s_.substr(i_, stop - i_);
      entry.erase(entry.find_last_not_of(' ') + 1);
      const size_t digits = entry.size() - (!entry.empty() && entry.back() == 'L');  // Python 2's long
      int64_t d = -1;
      const auto [end, ec] = std::from_chars(entry.data(), entry.data() + digits, d);
      if (ec != std::errc() || end != entry.data() + digits || d < 0)
        fail("field 'shape' has entry '" + entry + "'; expected non-negative integers, like (2, 1, 28, 28)");
      shape.push_back(d);
      i_ = stop;
      if (peek() == ',') ++i_;
      else if (peek() != ')') fail("field 'shape' is not a closed tuple, like (2, 1, 28, 28)");
    }
    ++i_;
    return shape;
  }

  const std::string& s_;
  const std::string& path_;
  size_t i_ = 0;
};

NpyHeader parse_header_dict(const std::string& header, const std::string& path) {
  return HeaderDict(header, path).parse();
}

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
  NpyHeader h = parse_header_dict(header, path);
  if (h.shape.size() > 64)  // NumPy's own bound (NPY_MAXDIMS)
    throw InputError(path + ": .npy field 'shape' has " + std::to_string(h.shape.size()) + " sizes; expected at most 64");
  // LibTorch lays out an empty array too: the product of its non-zero sizes (its largest stride) must
  // fit 63 bits even when a zero size makes the element count 0.
  uint64_t count = 1, stride = 1;
  for (int64_t d : h.shape) {
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count))
      throw InputError(path + ": .npy field 'shape' promises more elements than any file can hold");
    if (d > 0 && (__builtin_mul_overflow(stride, static_cast<uint64_t>(d), &stride) || stride > INT64_MAX))
      throw InputError(path + ": .npy field 'shape' has sizes whose product overflows 64 bits");
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
