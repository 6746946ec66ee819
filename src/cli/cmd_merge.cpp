// sanity merge: the shards of one study (--shard K/N) joined into its directory (study/merge.h).
#include "api/study.h"
#include "cli/commands.h"

namespace sanity::cli {

Command make_merge_command() {
  struct Args {
    std::string out;
    std::vector<std::string> shards;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand(
        "merge",
        "Join the shards of one study (sanity run/check --shard K/N, each in OUT/shards/K-of-N/) into OUT:\n"
        "its results.sqlite and maps, as if one process had computed them. Refuses, writing nothing, shards of\n"
        "different studies or a unit two stores hold with different values; a unit held twice with the same\n"
        "values is fine (merging again adds only what is new)");
    s->add_option("out", a->out, "the study directory to merge into")->required();
    s->add_option("shards", a->shards, "the shards: their directories (OUT/shards/*) or results.sqlite files")
        ->required();
    return s;
  };
  c.execute = [a] {
    const MergeSummary m = api::merge(a->out, a->shards);
    std::printf("merged %zu shards into %s/results.sqlite: %lld runs, %lld units added, %lld held already (same "
                "values), %lld files copied; `sanity report --study %s` writes the report\n",
                a->shards.size(), a->out.c_str(), (long long)m.runs, (long long)m.units_added,
                (long long)m.units_present, (long long)m.files_copied, a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
