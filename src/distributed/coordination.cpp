#include "distributed/coordination.h"

#include <ATen/Parallel.h>
#include <csignal>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "distributed/bytes.h"

namespace sanity::distributed {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Message tags. Every message but kError starts with the phase it belongs to: a rank that was slow
// (or taken for dead) may send into a later phase, whose receiver then ignores it.
enum Tag : int { kTask = 1, kNone, kReady, kResult, kHeartbeat, kError, kKeepalive, kProceed };

// Phases are counted alike on every rank: each run_on_rank0 and each coordinate/serve is one.
uint64_t g_phase = 0;

milliseconds heartbeat_interval() { return std::min(milliseconds(1000), rank_timeout() / 4); }

// The thread a rank computes in, one per process and kept (its LibTorch thread settings and the
// caches it fills are reused by the next task); the main thread stays free for messages.
class ComputeThread {
 public:
  static ComputeThread& instance() {
    static ComputeThread t;
    return t;
  }
  std::future<std::string> submit(std::function<std::string()> fn) {
    std::packaged_task<std::string()> task(std::move(fn));
    std::future<std::string> f = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
    }
    wake_.notify_one();
    return f;
  }

 private:
  ComputeThread() : thread_([this] { loop(); }) {}
  ~ComputeThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void loop() {
    at::init_num_threads();  // the process's --threads (OpenMP's count is per thread)
    for (;;) {
      std::packaged_task<std::string()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<std::string()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

std::string header(uint64_t phase) { return ByteWriter().u64(phase).take(); }

void send_or_throw(int to, Tag tag, const std::string& bytes) {
  if (!World::instance().send(to, tag, bytes, rank_timeout()))
    throw std::runtime_error("rank " + std::to_string(to) + " did not take a message for " +
                             std::to_string(rank_timeout().count() / 1000) + " s");
}

// A worker's error: rank 0 prints it, naming the rank, and ends every rank with its exit code (at
// once: rank 0's compute thread may be in the middle of a task).
[[noreturn]] void remote_failure(int rank, const std::string& host, const Message& m) {
  ByteReader r(m.bytes);
  const int code = static_cast<int>(r.i64());
  fail(code, "rank " + std::to_string(rank) + (host.empty() ? "" : " on " + host) + ": " + r.str());
  std::abort();  // fail() does not return in a distributed world
}

// A worker whose rank 0 fell silent: nothing it holds is worth keeping (rank 0 records results), so
// it says so and ends. Without MPI_Finalize, which would wait for rank 0.
[[noreturn]] void coordinator_lost() {
  std::FILE* out = World::instance().errors();
  std::fprintf(out, "error: rank %d: rank 0 (the coordinator) has been silent for %lld s, so it has stopped; the "
                    "units it committed are kept: run the same command again to compute the rest\n",
               World::instance().rank(), static_cast<long long>(rank_timeout().count() / 1000));
  std::fflush(out);
  std::_Exit(1);
}

// Waits for rank 0's next message of this phase with one of `tags`, taking keepalives as signs of
// life; silence beyond the timeout means rank 0 is gone.
Message from_rank0(uint64_t phase, std::initializer_list<Tag> tags) {
  World& w = World::instance();
  for (;;) {
    std::optional<Message> m = w.wait(0, -1, rank_timeout());
    if (!m) coordinator_lost();
    ByteReader r(m->bytes);
    if (m->tag == kError || r.u64() != phase) continue;
    for (Tag t : tags)
      if (m->tag == t) return *m;
  }
}

// One line when the launcher stops rank 0 (a plain mpirun does so when any rank dies).
void on_terminate(int) {
  static const char line[] =
      "error: the MPI launcher stopped this run (a rank died, or the job was cancelled); every unit already "
      "committed is kept: run the same command again to compute the rest\n";
  if (write(STDERR_FILENO, line, sizeof line - 1) < 0) {
  }
  _exit(128 + SIGTERM);
}

void watch_for_termination() {
  static bool installed = false;
  if (installed || World::instance().rank() != 0) return;
  installed = true;
  std::signal(SIGTERM, on_terminate);
}

// Rank 0's side of one coordinate() phase: the tasks not yet handed out, the ones recorded, and
// what each worker rank is doing.
class Coordinator {
 public:
  Coordinator(uint64_t phase, const std::vector<std::string>& tasks, const ComputeFn& compute,
              const RecordFn& record, const CoordinateOptions& options)
      : w_(World::instance()),
        phase_(phase),
        tasks_(tasks),
        compute_(compute),
        record_(record),
        options_(options),
        timeout_(rank_timeout()),
        beat_(heartbeat_interval()),
        workers_(static_cast<size_t>(w_.size())),
        recorded_(tasks.size(), 0) {
    for (size_t i = 0; i < tasks.size(); ++i) pending_.push_back(i);
  }

  // Until every task is recorded; returns the number of tasks handed out again.
  int64_t run() {
    Backoff backoff;
    for (;;) {
      bool active = false;
      const auto now = Clock::now();
      active |= collect_own_result();
      active |= start_own_task();
      active |= read_messages(now);
      active |= tend_workers(now);
      if (recorded_count_ == tasks_.size() && !local_.valid()) break;
      active ? backoff.reset() : backoff.pause();
    }
    announce_end();
    return handed_again_;
  }

 private:
  struct Worker {
    std::string host;
    bool waiting = false, told_none = false;
    int64_t task = -1;
    Clock::time_point last_heard, last_keepalive;
  };

  void store(size_t i, const std::string& result, int rank) {
    if (recorded_.at(i)) return;  // computed twice (a rank taken for dead answered after all)
    record_(i, result, rank);
    recorded_[i] = 1;
    ++recorded_count_;
  }

  std::optional<size_t> next_pending() {
    while (!pending_.empty() && recorded_[pending_.front()]) pending_.pop_front();
    if (pending_.empty()) return std::nullopt;
    const size_t i = pending_.front();
    pending_.pop_front();
    return i;
  }

  std::string describe(size_t i) const {
    return options_.describe ? options_.describe(i) : "task " + std::to_string(i);
  }

  // Rank 0's own share, one task at a time in its compute thread.
  bool collect_own_result() {
    if (!local_.valid() || local_.wait_for(milliseconds(0)) != std::future_status::ready) return false;
    store(local_task_, local_.get(), 0);
    return true;
  }

  bool start_own_task() {
    if (!options_.compute_here || local_.valid()) return false;
    const auto i = next_pending();
    if (!i) return false;
    local_task_ = *i;
    local_ = ComputeThread::instance().submit([&compute = compute_, &tasks = tasks_, i] { return compute(tasks[*i]); });
    return true;
  }

  // Ready and result messages of this phase; an error from any rank ends the run.
  bool read_messages(Clock::time_point now) {
    bool active = false;
    while (auto m = w_.poll()) {
      active = true;
      const int from = m->source;
      Worker& k = workers_.at(static_cast<size_t>(from));
      if (m->tag == kError) remote_failure(from, k.host, *m);
      ByteReader r(m->bytes);
      if (r.u64() != phase_) continue;  // from an earlier phase
      k.last_heard = now;
      if (m->tag == kReady) {
        k.host = r.str();
        k.waiting = true;
      } else if (m->tag == kResult) {
        const size_t i = r.u64();
        store(i, r.str(), from);
        if (k.task == static_cast<int64_t>(i)) k.task = -1;
        k.waiting = k.task < 0;
      }
    }
    return active;
  }

  // Takes tasks back from silent ranks and gives the next pending task to each waiting one.
  bool tend_workers(Clock::time_point now) {
    bool active = false;
    for (int rank = 1; rank < w_.size(); ++rank) {
      Worker& k = workers_[static_cast<size_t>(rank)];
      if (k.task >= 0 && now - k.last_heard > timeout_) take_back_task(rank, k);
      if (!k.waiting) continue;
      active |= hand_out_task(rank, k, now);
    }
    return active;
  }

  void take_back_task(int rank, Worker& k) {
    std::fprintf(stderr, "note: rank %d%s has been silent for %lld s while computing %s; it goes to another rank\n",
                 rank, k.host.empty() ? "" : (" on " + k.host).c_str(),
                 static_cast<long long>(timeout_.count() / 1000), describe(static_cast<size_t>(k.task)).c_str());
    pending_.push_front(static_cast<size_t>(k.task));
    k.task = -1;
    ++handed_again_;
  }

  bool hand_out_task(int rank, Worker& k, Clock::time_point now) {
    if (const auto i = next_pending()) {
      send_or_throw(rank, kTask, ByteWriter().u64(phase_).u64(*i).str(tasks_[*i]).take());
      k.task = static_cast<int64_t>(*i);
      k.waiting = false;
      k.last_heard = now;
      return true;
    }
    if (now - k.last_keepalive >= beat_) {  // waits for tasks that may come back
      w_.send(rank, kKeepalive, header(phase_), beat_);
      k.last_keepalive = now;
    }
    return false;
  }

  // Every worker hears that the phase is over, also one that has not asked yet (or never will), and
  // whether a rank was lost (then no rank may wait for all in MPI_Finalize: World::stop).
  void announce_end() {
    if (handed_again_ > 0) w_.lost_a_rank();
    const std::string none = ByteWriter().u64(phase_).u64(w_.lost() ? 1 : 0).take();
    for (int rank = 1; rank < w_.size(); ++rank) w_.send(rank, kNone, none, beat_);
  }

  World& w_;
  const uint64_t phase_;
  const std::vector<std::string>& tasks_;
  const ComputeFn& compute_;
  const RecordFn& record_;
  const CoordinateOptions& options_;
  const milliseconds timeout_, beat_;
  std::vector<Worker> workers_;
  std::deque<size_t> pending_;
  std::vector<char> recorded_;
  size_t recorded_count_ = 0;
  int64_t handed_again_ = 0;
  std::future<std::string> local_;
  size_t local_task_ = 0;
};

}  // namespace

std::chrono::milliseconds rank_timeout() {
  const char* v = std::getenv("SANITY_RANK_TIMEOUT");
  if (!v || !*v) return milliseconds(60000);
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(s > 0) || s > 1e6)
    throw InputError(std::string("SANITY_RANK_TIMEOUT=") + v + ": expected a number of seconds above 0");
  return milliseconds(static_cast<int64_t>(s * 1000));
}

std::string run_on_rank0(const std::function<std::string()>& fn) {
  World& w = World::instance();
  if (!w.distributed()) return fn();
  const uint64_t phase = ++g_phase;
  if (w.rank() != 0) {
    Message m = from_rank0(phase, {kProceed});
    ByteReader r(m.bytes);
    r.u64();
    return r.str();
  }
  watch_for_termination();
  std::future<std::string> work = ComputeThread::instance().submit(fn);
  const milliseconds beat = heartbeat_interval();
  Clock::time_point last;
  while (work.wait_for(milliseconds(10)) != std::future_status::ready) {
    if (Clock::now() - last >= beat) {
      for (int r = 1; r < w.size(); ++r) w.send(r, kKeepalive, header(phase), beat);
      last = Clock::now();
    }
    while (auto m = w.poll())
      if (m->tag == kError) remote_failure(m->source, "", *m);
  }
  std::string payload = work.get();
  const std::string message = ByteWriter().u64(phase).str(payload).take();
  for (int r = 1; r < w.size(); ++r) w.send(r, kProceed, message, rank_timeout());
  return payload;
}

int64_t coordinate(const std::vector<std::string>& tasks, const ComputeFn& compute, const RecordFn& record,
                   const CoordinateOptions& options) {
  const uint64_t phase = ++g_phase;
  watch_for_termination();
  return Coordinator(phase, tasks, compute, record, options).run();
}

void serve(const ComputeFn& compute) {
  World& w = World::instance();
  const uint64_t phase = ++g_phase;
  const milliseconds beat = heartbeat_interval();
  if (!w.send(0, kReady, ByteWriter().u64(phase).str(w.host()).take(), rank_timeout())) coordinator_lost();
  for (;;) {
    const Message m = from_rank0(phase, {kTask, kNone});
    ByteReader r(m.bytes);
    r.u64();
    if (m.tag == kNone) {
      if (r.u64() != 0) w.lost_a_rank();
      return;
    }
    const uint64_t i = r.u64();
    const std::string task = r.str();
    std::future<std::string> work = ComputeThread::instance().submit([&compute, &task] { return compute(task); });
    while (work.wait_for(beat) != std::future_status::ready) w.send(0, kHeartbeat, header(phase), beat);
    const std::string result = work.get();  // an error goes up to the command, which sends it to rank 0
    if (!w.send(0, kResult, ByteWriter().u64(phase).u64(i).str(result).take(), rank_timeout())) coordinator_lost();
  }
}

int fail(int code, const std::string& message) {
  World& w = World::instance();
  if (!w.distributed()) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return code;
  }
  if (w.rank() != 0) {
    // Rank 0 prints it once and ends every rank; if it cannot, this rank says it itself.
    if (w.send(0, kError, ByteWriter().i64(code).str(message).take(), rank_timeout()))
      std::this_thread::sleep_for(rank_timeout());
    std::fprintf(w.errors(), "error: rank %d: %s\n", w.rank(), message.c_str());
  } else {
    std::fprintf(stderr, "error: %s\n", message.c_str());
  }
  w.abort(code);
}

}  // namespace sanity::distributed
