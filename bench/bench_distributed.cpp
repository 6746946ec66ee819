// The coordinator's capacity: how many units per second rank 0 hands out and commits when computing
// a unit takes no time, so that nothing but the coordination is measured: each task travels to a
// worker rank, its result (a unit of `rows` measurements, as the check runner encodes it) travels
// back, and rank 0 commits it to a results store in the temp directory (one SQLite transaction per
// unit, as a study does). Rank 0 computes nothing itself here.
//   mpirun -np 8 --oversubscribe build/bench/bench_distributed [units=20000] [rows per unit=800]
// 800 rows: a unit of the default study (200 images x 4 metrics).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "distributed/coordination.h"
#include "results/store.h"
#include "study/check_tasks.h"

using namespace sanity;

int main(int argc, char** argv) {
  distributed::World& world = distributed::World::instance();
  world.start();
  const int64_t units = argc > 1 ? std::atoll(argv[1]) : 20000, rows = argc > 2 ? std::atoll(argv[2]) : 800;
  if (!world.distributed() || units < 1 || rows < 0) {
    std::fprintf(stderr, "usage: mpirun -np 8 --oversubscribe %s [units] [rows per unit]\n", argv[0]);
    return 2;
  }
  std::vector<CheckTask> tasks;
  std::vector<std::string> bytes;
  for (int64_t i = 0; i < units; ++i) {
    tasks.push_back({"cascading", i % 17, {"method" + std::to_string(i / 17)}});
    bytes.push_back(encode_task(tasks.back()));
  }
  const auto compute = [rows](const std::string& task) {
    const CheckTask t = decode_task(task);
    UnitOutput o;
    std::vector<Measurement> r;
    for (int64_t k = 0; k < rows; ++k) r.push_back({"metric" + std::to_string(k % 4), std::sin(double(k)), k / 4});
    o.units.push_back({t.stage, std::move(r)});
    return encode_outputs({o});
  };
  if (world.rank() != 0) {
    distributed::serve(compute);
    world.stop();
    return 0;
  }
  const std::string db = std::filesystem::temp_directory_path().string() + "/sanity-bench-distributed.sqlite";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  ResultsStore store(db);
  const int64_t run = store.open_run({"cnn", "mnist:test:200", {}, 0});
  const auto start = std::chrono::steady_clock::now();
  distributed::coordinate(
      bytes, compute,
      [&](size_t i, const std::string& result, int) {
        const std::vector<UnitOutput> o = decode_outputs(result);
        store.record_unit({run, tasks[i].check, tasks[i].stage, tasks[i].methods[0]}, o.at(0).units.at(0).second);
      },
      {/*compute_here=*/false, {}});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d ranks (%d workers), %lld units of %lld rows: %.2f s, %.0f units/s handed out and committed "
              "(%.0f rows/s)\n",
              world.size(), world.size() - 1, (long long)units, (long long)rows, seconds, units / seconds,
              units * rows / seconds);
  world.stop();
  return 0;
}
