#pragma once
// The byte layout of messages between ranks: fixed-width little-endian integers, doubles bit for
// bit (NaN payloads included, so a result is the same number wherever it was computed), and
// length-prefixed byte strings. Every rank runs the same build on the same kind of machine (x86-64,
// little-endian), so values are copied as they lie in memory.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sanity::distributed {

class ByteWriter {
 public:
  ByteWriter& u64(uint64_t v) { return raw(&v, sizeof v); }
  ByteWriter& i64(int64_t v) { return raw(&v, sizeof v); }
  ByteWriter& f64(double v) { return raw(&v, sizeof v); }
  ByteWriter& str(const std::string& s) {
    u64(s.size());
    out_.append(s);
    return *this;
  }
  ByteWriter& raw(const void* data, size_t n) {
    out_.append(static_cast<const char*>(data), n);
    return *this;
  }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& in) : in_(in) {}
  uint64_t u64() { return pod<uint64_t>(); }
  int64_t i64() { return pod<int64_t>(); }
  double f64() { return pod<double>(); }
  std::string str() {
    const uint64_t n = u64();
    need(n);
    std::string s = in_.substr(at_, n);
    at_ += n;
    return s;
  }
  void raw(void* out, size_t n) {
    need(n);
    std::memcpy(out, in_.data() + at_, n);
    at_ += n;
  }
  bool done() const { return at_ == in_.size(); }

 private:
  template <typename T>
  T pod() {
    T v;
    raw(&v, sizeof v);
    return v;
  }
  void need(uint64_t n) const {
    if (n > in_.size() - at_) throw std::runtime_error("a message between ranks ended early (a different build?)");
  }
  const std::string& in_;
  size_t at_ = 0;
};

}  // namespace sanity::distributed
