#pragma once
// `sanity merge OUT SHARD...`: the shards of one study (--shard K/N, each its own store and maps
// under OUT/shards/K-of-N/) joined into the study directory OUT, as if one process had computed them.
//
// Shards of one study hold the same runs (model weights, data, options, seed: the run's identity,
// which the shard is not part of) and disjoint units. Anything else is refused before anything is
// written, with one line naming the stores: a run one shard holds and another lacks (different
// studies, or a shard that has not opened all its runs yet), or a unit two stores hold with different
// values (a unit held twice with the same values is fine: a shard run twice, or OUT merged into
// again). OUT may hold other runs, which stay. Each unit's saved maps are copied before its rows and
// completion marker are committed, as the runner does, so an interrupted merge is completed by
// running it again.
#include <cstdint>
#include <string>
#include <vector>

namespace sanity {

struct MergeSummary {
  int64_t runs = 0;             // runs of the shards
  int64_t units_added = 0;      // units OUT did not hold
  int64_t units_present = 0;    // units OUT held already, with the same values
  int64_t files_copied = 0;     // maps and per-run files
};

// `shards`: study directories (holding results.sqlite) or results.sqlite files.
MergeSummary merge_shards(const std::string& out, const std::vector<std::string>& shards);

}  // namespace sanity
