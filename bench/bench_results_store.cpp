// Results store: committing work units (rows + completion marker in one transaction) and reading
// them back, on a file in the temp directory.
//   build/bench/bench_results_store
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>

#include "results/store.h"

namespace {

std::string fresh_db(const std::string& name) {
  const std::string p = std::filesystem::temp_directory_path().string() + "/sanity-bench-" + name + ".sqlite";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
  return p;
}

// A unit as the cascading check writes it: `images` scores for each of 8 metrics.
std::vector<sanity::Measurement> unit_rows(int images) {
  std::vector<sanity::Measurement> rows;
  for (int m = 0; m < 8; ++m)
    for (int i = 0; i < images; ++i) rows.push_back({"metric" + std::to_string(m), std::sin(i + m), i});
  return rows;
}

void record_units(benchmark::State& state) {
  sanity::ResultsStore store(fresh_db("record"));
  const int64_t run = store.open_run({"cnn", "mnist:test:200", {}, 0});
  const std::vector<sanity::Measurement> rows = unit_rows(static_cast<int>(state.range(0)));
  int64_t unit = 0;
  for (auto _ : state) store.record_unit({run, "cascading", unit % 5, "method" + std::to_string(unit / 5)}, rows), ++unit;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows.size()));  // rows per second
}

void read_rows_and_summaries(benchmark::State& state) {
  sanity::ResultsStore store(fresh_db("read"));
  const int64_t run = store.open_run({"cnn", "mnist:test:200", {}, 0});
  const std::vector<sanity::Measurement> rows = unit_rows(200);
  for (int u = 0; u < 50; ++u) store.record_unit({run, "cascading", u % 5, "method" + std::to_string(u / 5)}, rows);
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.rows());
    benchmark::DoNotOptimize(store.summaries());
  }
  state.SetItemsProcessed(state.iterations() * 50 * static_cast<int64_t>(rows.size()));
}

}  // namespace

BENCHMARK(record_units)->Arg(1)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK(read_rows_and_summaries)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
