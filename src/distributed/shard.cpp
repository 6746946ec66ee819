#include "distributed/shard.h"

#include <xxhash.h>

#include <charconv>

#include "core/error.h"

namespace sanity::distributed {

namespace {

// XXH3 mixes every input bit into every output bit, so "method1" .. "method9" spread over the
// residues of any shard count.
uint64_t shard_hash(const std::string& key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace

bool Shard::owns(const std::string& key) const {
  return whole() || static_cast<int64_t>(shard_hash(key) % static_cast<uint64_t>(count)) == index - 1;
}

std::string Shard::name() const { return std::to_string(index) + "-of-" + std::to_string(count); }

std::string Shard::directory(const std::string& out) const { return whole() ? out : out + "/shards/" + name(); }

Shard parse_shard(const std::string& text, const std::string& option) {
  if (text.empty()) return {};
  const auto bad = [&]() {
    return InputError(option + " " + text + ": expected K/N with 1 <= K <= N, e.g. 2/4 for the second of four shards");
  };
  const size_t slash = text.find('/');
  if (slash == std::string::npos) throw bad();
  Shard s;
  const auto number = [&](const char* begin, const char* end, int64_t& out) {
    const auto [at, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || at != end) throw bad();
  };
  number(text.data(), text.data() + slash, s.index);
  number(text.data() + slash + 1, text.data() + text.size(), s.count);
  if (s.count < 1 || s.count > 100000 || s.index < 1 || s.index > s.count) throw bad();
  return s;
}

}  // namespace sanity::distributed
