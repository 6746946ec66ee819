#pragma once
// --shard K/N: one study split into N independent processes for schedulers without MPI (job
// arrays). A unit belongs to shard 1 + hash(key) mod N, where the key names the unit (or the group of
// units that share work), so the split never depends on what is done already, on the order units
// are listed in, or on which other methods a study has: adding a method moves no other unit. Each
// shard writes its own store (OUT/shards/K-of-N/); `sanity merge` joins them (study/merge.h).
#include <cstdint>
#include <string>

namespace sanity::distributed {

struct Shard {
  int64_t index = 1, count = 1;  // K and N, 1 <= K <= N

  bool whole() const { return count == 1; }
  // Whether the unit (or group of units) named `key` is this shard's.
  bool owns(const std::string& key) const;
  // "K-of-N".
  std::string name() const;
  // Where this shard of the study `out` writes: out itself when whole, else out/shards/K-of-N.
  std::string directory(const std::string& out) const;
};

// "K/N" with 1 <= K <= N <= 100000; InputError naming `option` otherwise. "" is the whole study.
Shard parse_shard(const std::string& text, const std::string& option = "--shard");

}  // namespace sanity::distributed
