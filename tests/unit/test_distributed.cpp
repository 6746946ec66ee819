// One study across processes: `sanity check` under mpirun (3 ranks, 1 thread each) and split into
// shards joined by `sanity merge` give the one-process run's store bit for bit (bench/compare_stores.py,
// an independent reader in Python); a worker killed with SIGKILL costs only its unit (mpirun
// --enable-recovery) or ends the run with one line, and the rerun completes it to the same store;
// `sanity run` under mpirun trains each model once. Plus the pieces: the shard split and the bytes
// results travel as.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <thread>

#include "data/npy.h"
#include "distributed/shard.h"
#include "distributed/world.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "study/check_tasks.h"
#include "check_fixture.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;

namespace {

// The launcher: as root, OpenMPI refuses to start without these two variables (harmless otherwise).
const std::string kMpirun = std::string("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ") + SANITY_MPIEXEC;

bool can_run_mpi() { return distributed::built_with_mpi() && std::string(SANITY_MPIEXEC).size() > 0; }

#define REQUIRE_MPI()                                                                                    \
  if (!can_run_mpi()) GTEST_SKIP() << "built without MPI or no mpirun: install libopenmpi-dev and openmpi-bin"

// Two CNNs and 16 digit-like inputs, written once per test program.
const test::CheckFixture& fixture() {
  static const test::CheckFixture f = test::make_check_fixture("distributed", 16, 5);
  return f;
}

// A small study with every kind of unit: stage quantities, per-method units, grid maps, SmoothGrad
// and VarGrad sharing a noise pass, the data check's other model, CSC's several units per method.
std::string check_args(const std::string& out, int count = 16) {
  const test::CheckFixture& fx = fixture();
  return "check --model " + fx.model + " --permuted-model " + fx.permuted + " --data " + fx.images + " --count " +
         std::to_string(count) +
         " --methods 'gradient,guided_backprop,smoothgrad(gradient, n=20),vargrad(gradient, n=20),noise,lrp_zplus' "
         "--checks cascading,independent,data,csc --metrics spearman_abs,ssim --batch-size 8 --threads 1 --out " + out;
}

// Runs bench/compare_stores.py: exit 0 and "IDENTICAL" when every row, unit and label agrees bit for bit.
test::CommandResult compare_stores(const std::string& a, const std::string& b) {
  return test::run_command(std::string(SANITY_PYTHON) + " " + SANITY_SOURCE_DIR + "/bench/compare_stores.py " + a +
                           "/results.sqlite " + b + "/results.sqlite");
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every saved map and per-run file under maps/, by relative path and content. Temporary files a killed
// process left behind (<name>.tmp.<host>.<pid>.<n>, never read) are not part of the study.
std::map<std::string, std::string> maps_of(const std::string& study) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(study + "/maps"))
    if (e.is_regular_file() && e.path().filename().string().find(".tmp.") == std::string::npos)
      out[fs::relative(e.path(), study).string()] = file_bytes(e.path().string());
  return out;
}

size_t units_done(const std::string& study) {
  try {
    if (!fs::exists(study + "/results.sqlite")) return 0;
    ResultsStore store(study + "/results.sqlite", true);
    size_t n = 0;
    for (const RunInfo& r : store.runs()) n += store.done_units(r.id).size();
    return n;
  } catch (const std::exception&) {
    return 0;  // being created
  }
}

// The process of `rank` in the mpirun whose command line names `marker` (its study directory).
pid_t find_rank(int rank, const std::string& marker) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = file_bytes(e.path().string() + "/cmdline"), environ = file_bytes(e.path().string() + "/environ");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) == std::string::npos || cmdline.find("mpirun") != std::string::npos) continue;
    std::istringstream vars(environ);
    for (std::string v; std::getline(vars, v, '\0');)
      if (v == want) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

// Starts `cmd` (a shell command), SIGKILLs rank `rank` of it once `study` holds at least `at` units,
// and returns the command's exit code and output.
test::CommandResult kill_rank_midway(const std::string& cmd, const std::string& study, int rank, size_t at) {
  const std::string log = study + ".log";
  const pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", (cmd + " > " + log + " 2>&1").c_str(), (char*)nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  bool killed = false;
  while (!killed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (units_done(study) < at) continue;
    const pid_t victim = find_rank(rank, study);
    if (victim > 0) killed = kill(victim, SIGKILL) == 0;
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(killed) << "rank " << rank << " was not found running";
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, file_bytes(log)};
}

}  // namespace

TEST(Shard, ParsesKOfNAndSplitsUnitsOnceEach) {
  const distributed::Shard s = distributed::parse_shard("2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.directory("out"), "out/shards/2-of-3");
  EXPECT_TRUE(distributed::parse_shard("").whole());
  EXPECT_EQ(distributed::parse_shard("").directory("out"), "out");
  for (const char* bad : {"0/2", "3/2", "2", "a/b", "1/0", "1/2x", "-1/2", "1//2"})
    test::expect_input_error([&] { distributed::parse_shard(bad); }, std::string("--shard ") + bad + ": expected K/N");
  // Every unit key belongs to exactly one of four shards, and each gets a fair share of 2000.
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "cascading/" + std::to_string(i % 17) + "/method" + std::to_string(i);
    int owners = 0;
    for (int k = 1; k <= 4; ++k)
      if (distributed::Shard{k, 4}.owns(key)) ++owners, ++counts[k - 1];
    EXPECT_EQ(owners, 1) << key;
  }
  for (int c : counts) EXPECT_NEAR(c, 500, 100);
}

TEST(Wire, UnitOutputsTravelBitForBit) {
  UnitOutput a;
  a.labels = {{3, "conv1"}, {0, ""}};
  const double odd_nan = [] {
    uint64_t bits = 0x7ff8dead00000001ull;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }();
  a.units = {{2, {{"spearman_abs", 0.1 + 0.2, 7}, {"ssim(data_range=1)", odd_nan, 8, 3, "fc1"}}},
             {0, {{"accuracy", -0.0}, {"x", std::numeric_limits<double>::denorm_min(), -1, -1, ""}}}};
  a.maps = torch::randn({2, 1, 5, 4}, torch::kFloat64);
  UnitOutput b;  // no maps, no rows
  b.units = {{1, {}}};
  const std::vector<UnitOutput> back = decode_outputs(encode_outputs({a, b}));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].labels, a.labels);
  ASSERT_EQ(back[0].units.size(), 2u);
  for (size_t u = 0; u < 2; ++u) {
    EXPECT_EQ(back[0].units[u].first, a.units[u].first);
    ASSERT_EQ(back[0].units[u].second.size(), a.units[u].second.size());
    for (size_t r = 0; r < a.units[u].second.size(); ++r) {
      const Measurement &x = a.units[u].second[r], &y = back[0].units[u].second[r];
      EXPECT_EQ(std::memcmp(&x.value, &y.value, sizeof x.value), 0) << x.metric;
      EXPECT_EQ(std::tie(x.metric, x.image, x.step, x.layer), std::tie(y.metric, y.image, y.step, y.layer));
    }
  }
  EXPECT_EQ(back[0].maps.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(torch::equal(back[0].maps, a.maps));
  EXPECT_FALSE(back[1].maps.defined());
  ASSERT_EQ(back[1].units.size(), 1u);
  EXPECT_TRUE(back[1].units[0].second.empty());
  // A task names its check, stage and methods ('' = the stage's quantities).
  const CheckTask t{"csc", 4, {"", "smoothgrad(gradient, n=50, sigma=0.15)"}};
  const CheckTask u = decode_task(encode_task(t));
  EXPECT_EQ(std::tie(u.check, u.stage, u.methods), std::tie(t.check, t.stage, t.methods));
  // Cut short: an error, not garbage.
  const std::string bytes = encode_outputs({a});
  EXPECT_THROW(decode_outputs(bytes.substr(0, bytes.size() - 3)), std::runtime_error);
}

TEST(Distributed, MpiRanksAndMergedShardsGiveTheOneProcessStore) {
  REQUIRE_MPI();
  const std::string one = test::temp_dir("dist-one"), mpi = test::temp_dir("dist-mpi"),
                    split = test::temp_dir("dist-split"), merged = test::temp_dir("dist-merged");
  const auto reference = test::run_cli(check_args(one) + " --quiet");
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  const size_t total = units_done(one);
  ASSERT_GT(total, 60u);

  // Three ranks, one thread each: rank 0 hands out units and computes some; all three compute.
  const auto ranks =
      test::run_command(kMpirun + " -np 3 --oversubscribe " + SANITY_CLI + " " + check_args(mpi) + " --quiet");
  ASSERT_EQ(ranks.exit_code, 0) << ranks.output;
  const size_t at = ranks.output.find("units computed (by rank 0 to 2: ");
  ASSERT_NE(at, std::string::npos) << ranks.output;
  int by_rank[3] = {0, 0, 0};
  ASSERT_EQ(std::sscanf(ranks.output.c_str() + at, "units computed (by rank 0 to 2: %d, %d, %d)", &by_rank[0],
                        &by_rank[1], &by_rank[2]), 3);
  for (int n : by_rank) EXPECT_GT(n, 0) << ranks.output;
  EXPECT_EQ(test::count_lines(ranks.output), 1) << "only rank 0 speaks\n" << ranks.output;
  const auto same = compare_stores(one, mpi);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("IDENTICAL"), std::string::npos) << same.output;
  EXPECT_EQ(maps_of(mpi), maps_of(one));

  // Two shards (one process each), then merged.
  for (const char* shard : {"1/2", "2/2"}) {
    const auto r = test::run_cli(check_args(split) + " --shard " + shard + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const size_t first = units_done(split + "/shards/1-of-2"), second = units_done(split + "/shards/2-of-2");
  EXPECT_GT(first, total / 4);
  EXPECT_GT(second, total / 4);
  const std::string shards = " " + split + "/shards/1-of-2 " + split + "/shards/2-of-2";
  const auto merge = test::run_cli("merge " + merged + shards);
  ASSERT_EQ(merge.exit_code, 0) << merge.output;
  const auto merged_same = compare_stores(one, merged);
  EXPECT_EQ(merged_same.exit_code, 0) << merged_same.output;
  EXPECT_NE(merged_same.output.find("IDENTICAL"), std::string::npos) << merged_same.output;
  EXPECT_EQ(maps_of(merged), maps_of(one));
  // Merging again (or a shard twice) adds nothing: the units are there with the same values.
  const auto again = test::run_cli("merge " + merged + shards + " " + split + "/shards/1-of-2");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find(" 0 units added, " + std::to_string(total + first) + " held already"), std::string::npos)
      << again.output;

  // Refused, writing nothing: a store of another study (other images) ...
  const std::string other = test::temp_dir("dist-other"), fresh = test::temp_dir("dist-fresh");
  ASSERT_EQ(test::run_cli(check_args(other, 12) + " --shard 1/2 --quiet").exit_code, 0);
  const auto mixed = test::run_cli("merge " + fresh + " " + split + "/shards/2-of-2 " + other + "/shards/1-of-2");
  EXPECT_EQ(mixed.exit_code, 2) << mixed.output;
  EXPECT_NE(mixed.output.find("not shards of one study"), std::string::npos) << mixed.output;
  EXPECT_EQ(test::count_lines(mixed.output), 1) << mixed.output;
  EXPECT_FALSE(fs::exists(fresh + "/results.sqlite"));
  // ... and a unit held twice with different values.
  fs::copy(split + "/shards/1-of-2", other + "/changed", fs::copy_options::recursive);
  {
    sql::Database db(other + "/changed/results.sqlite", false);
    db.exec("UPDATE points SET value = value + 1e-9 WHERE value IS NOT NULL");
  }
  const size_t before = units_done(merged);
  const auto conflict = test::run_cli("merge " + merged + " " + other + "/changed");
  EXPECT_EQ(conflict.exit_code, 2) << conflict.output;
  EXPECT_NE(conflict.output.find("has different values in"), std::string::npos) << conflict.output;
  EXPECT_EQ(units_done(merged), before);
}

// With a launcher that keeps the job going (OpenMPI: --enable-recovery), rank 0 hands a silent
// worker's unit to another rank and the run finishes every unit.
TEST(Distributed, KilledWorkerCostsOnlyItsUnit) {
  REQUIRE_MPI();
  const std::string one = test::temp_dir("dist-kill-one"), mpi = test::temp_dir("dist-kill-recovery");
  ASSERT_EQ(test::run_cli(check_args(one) + " --quiet").exit_code, 0);
  const size_t total = units_done(one);
  const auto r = kill_rank_midway("SANITY_RANK_TIMEOUT=2 " + kMpirun + " -np 3 --oversubscribe --enable-recovery " +
                                      SANITY_CLI + " " + check_args(mpi) + " --quiet",
                                  mpi, 2, total / 3);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: rank 2 on "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("it goes to another rank"), std::string::npos) << r.output;
  EXPECT_EQ(units_done(mpi), total);
  const auto same = compare_stores(one, mpi);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_EQ(maps_of(mpi), maps_of(one));
}

// A plain mpirun ends the whole job when a rank dies: rank 0 says so in one line, everything committed
// stays, and running the command again computes the rest.
TEST(Distributed, KilledWorkerEndsAPlainRunAndTheRerunCompletesIt) {
  REQUIRE_MPI();
  const std::string one = test::temp_dir("dist-plain-one"), mpi = test::temp_dir("dist-plain");
  ASSERT_EQ(test::run_cli(check_args(one) + " --quiet").exit_code, 0);
  const size_t total = units_done(one);
  const std::string cmd = kMpirun + " -np 3 --oversubscribe " + SANITY_CLI + " " + check_args(mpi) + " --quiet";
  const auto r = kill_rank_midway(cmd, mpi, 2, total / 3);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("error: the MPI launcher stopped this run (a rank died, or the job was cancelled); every "
                          "unit already committed is kept: run the same command again"),
            std::string::npos)
      << r.output;
  const size_t kept = units_done(mpi);
  EXPECT_GE(kept, total / 3);
  EXPECT_LT(kept, total);
  RecordProperty("units_at_kill", std::to_string(kept) + "/" + std::to_string(total));
  const auto rerun = test::run_command(cmd);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  const auto same = compare_stores(one, mpi);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_EQ(maps_of(mpi), maps_of(one));
}

// `sanity run` under mpirun: rank 0 trains each model once (the others wait and read it), every rank
// computes checks of every model, rank 0 writes the report; the store is the one-process run's.
TEST(Distributed, SanityRunTrainsOnceAndGivesTheOneProcessStore) {
  REQUIRE_MPI();
  const std::string dir = test::temp_dir("dist-run");
  const auto config = [&](const std::string& out) {
    const std::string path = dir + "/" + out + ".json";
    std::ofstream(path) << R"json({
      "out": ")json" << dir << "/" << out << R"json(",
      "testbed": {"count": 8},
      "models": [{"name": "mlp", "builtin": "mlp", "dataset": "mnist", "train": {"epochs": 1, "subset": 300}},
                 {"name": "cnn", "builtin": "cnn", "dataset": "mnist", "train": {"epochs": 1, "subset": 300}}],
      "methods": ["gradient", "guided_backprop", "smoothgrad(gradient, n=10)"],
      "checks": ["cascading", "csc"],
      "metrics": "spearman_abs"
    })json";
    return path;
  };
  const auto one = test::run_cli("run " + config("one") + " --threads 1 --quiet");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto mpi = test::run_command(kMpirun + " -np 2 --oversubscribe " + SANITY_CLI + " run " + config("mpi") +
                                     " --threads 1 --quiet");
  ASSERT_EQ(mpi.exit_code, 0) << mpi.output;
  EXPECT_NE(mpi.output.find("2 models trained, 0 reused"), std::string::npos) << mpi.output;
  size_t trained = 0;
  for (size_t at = mpi.output.find("trained "); at != std::string::npos; at = mpi.output.find("trained ", at + 1))
    trained += mpi.output.compare(at, 12, "trained mlp:") == 0 || mpi.output.compare(at, 12, "trained cnn:") == 0;
  EXPECT_EQ(trained, 2u) << mpi.output;
  EXPECT_TRUE(fs::exists(dir + "/mpi/report/report.html"));
  const auto same = compare_stores(dir + "/one", dir + "/mpi");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("IDENTICAL"), std::string::npos) << same.output;
}
