#include "data/idx.h"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"

namespace sanity {
namespace {

uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// The file size an IDX header declares (header plus one byte per element), once enough of it has
// been read; SIZE_MAX before that, or when the sizes overflow (parse_idx_ubyte names that).
size_t declared_size(const std::vector<unsigned char>& b) {
  if (b.size() < 4) return SIZE_MAX;
  const size_t dims = b[3], header = 4 + 4 * dims;
  if (b.size() < header) return SIZE_MAX;
  size_t count = 1;
  for (size_t i = 0; i < dims; ++i)
    if (__builtin_mul_overflow(count, static_cast<size_t>(be32(b.data() + 4 + 4 * i)), &count)) return SIZE_MAX;
  return header + count;
}

// Whole file contents; zlib's gzread reads plain files unchanged, so one path serves both. Inflating
// stops as soon as the data runs past what the header declares: a gzip bomb is refused at once, not
// after gigabytes.
std::vector<unsigned char> read_all(const std::string& path, int expected_dims) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": file not found");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(path + ": cannot open");
  std::vector<unsigned char> out;
  std::vector<unsigned char> buf(1 << 20);
  int n;
  constexpr size_t kMaxBytes = size_t{1} << 31;  // 2 GiB: far above any IDX dataset, far below a gzip bomb
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    if (out.size() >= 4 && be32(out.data()) != (0x0800u | static_cast<uint32_t>(expected_dims))) break;  // named below
    if (const size_t declared = declared_size(out); declared != SIZE_MAX && out.size() > declared) {
      gzclose(f);
      throw InputError(path + ": IDX data: runs past the " + std::to_string(declared) +
                       " bytes its header declares (a damaged file, or not an IDX dataset)");
    }
    if (out.size() > kMaxBytes) {
      gzclose(f);
      throw InputError(path + ": decompresses to more than 2 GiB; not an IDX dataset");
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string message = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw InputError(path + ": corrupt gzip stream (" + message + ")");
  return out;
}

}  // namespace

torch::Tensor read_idx_ubyte(const std::string& path, int expected_dims) {
  return parse_idx_ubyte(read_all(path, expected_dims), path, expected_dims);
}

torch::Tensor parse_idx_ubyte(const std::vector<unsigned char>& bytes, const std::string& path, int expected_dims) {
  if (bytes.size() < 4) throw InputError(path + ": IDX header: file is " + std::to_string(bytes.size()) + " bytes, too short for a header");
  const uint32_t magic = be32(bytes.data());
  const uint32_t expected_magic = 0x0800u | static_cast<uint32_t>(expected_dims);
  if (magic != expected_magic) {
    char buf[160];
    std::snprintf(buf, sizeof buf, ": IDX magic number 0x%08x, expected 0x%08x (unsigned bytes, %d dimensions)", magic,
                  expected_magic, expected_dims);
    throw InputError(path + buf);
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_dims);
  if (bytes.size() < header) throw InputError(path + ": IDX header: truncated dimension sizes");
  std::vector<int64_t> dims;
  size_t count = 1;
  for (int i = 0; i < expected_dims; ++i) {
    dims.push_back(be32(bytes.data() + 4 + 4 * i));
    if (__builtin_mul_overflow(count, static_cast<size_t>(dims.back()), &count))
      throw InputError(path + ": IDX header: dimension sizes promise more bytes than any file holds");
  }
  if (!dims.empty() && dims[0] == 0) throw InputError(path + ": IDX header: the file holds 0 items");
  if (bytes.size() != header + count)
    throw InputError(path + ": IDX data: header promises " + std::to_string(count) + " bytes of data, file holds " +
                     std::to_string(bytes.size() - header));
  torch::Tensor t = torch::empty(dims, torch::kUInt8);
  if (count > 0) std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + header, count);  // empty: no buffer (UBSan)
  return t;
}

}  // namespace sanity
