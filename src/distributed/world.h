#pragma once
// src/distributed: one study across processes and machines. The only module that talks MPI (this
// file's .cpp is the one that includes mpi.h; built without MPI, every process is a world of one).
//
// The World is the set of processes an MPI launcher (mpirun, srun) started with the same command:
// rank 0 is the coordinator (it alone writes the study directory), the others are workers. Started
// without a launcher, or built without MPI, a process is a world of one and nothing else changes.
//
// Messages are (tag, bytes). Waits sleep between polls instead of spinning: OpenMPI's blocking calls
// busy-poll a core, which on a machine shared by ranks (or oversubscribed) starves the ranks that
// compute. Only the thread that called start() may call MPI (MPI_THREAD_FUNNELED): every rank keeps
// its main thread for messages and computes in another (coordination.h).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace sanity::distributed {

// Whether an MPI launcher started this process (the variables mpirun, srun and PMI/PMIx launchers
// set), and the world size it announced (1 when none).
bool launched_by_mpi();
int launched_world_size();
// Whether this build can join an MPI world (SANITY_HAVE_MPI).
bool built_with_mpi();

struct Message {
  int source = -1;
  int tag = -1;
  std::string bytes;
};

class World {
 public:
  static World& instance();

  // MPI_Init when an MPI launcher started this process (idempotent); a world of one otherwise.
  // InputError when a launcher started several processes but this build has no MPI.
  void start();
  // Every rank calls stop() at the end of a distributed command: MPI_Finalize. A no-op in a world of
  // one. After a rank was lost, it only flushes: MPI_Finalize waits for every rank of the job (a
  // PMIx fence), the dead one too, and hung there in one run of three (tests/unit/test_distributed).
  void stop();
  // Marks that a rank of this world died (coordination.h tells every rank), so stop() skips MPI_Finalize.
  void lost_a_rank() { lost_ = true; }
  bool lost() const { return lost_; }
  // Ends every rank of the world with `code` (MPI_Abort); exits this process alone in a world of one.
  [[noreturn]] void abort(int code);

  bool distributed() const { return size_ > 1; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Ranks on this machine (for the default threads per rank), and this machine's name.
  int local_size() const { return local_size_; }
  const std::string& host() const { return host_; }
  // Where this rank writes its errors. Only rank 0 speaks to the user: the other ranks' stdout and
  // stderr go to /dev/null (their notes and progress would repeat rank 0's once per rank) unless
  // SANITY_RANK_OUTPUT is set; this stream is their original stderr.
  std::FILE* errors() const { return errors_ ? errors_ : stderr; }

  // Sends and returns once the bytes are on their way; false when `timeout` passed first (the
  // receiver is gone).
  bool send(int to, int tag, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::hours(24 * 365));
  // The next message from `source` (-1: any) with `tag` (-1: any) when one has arrived; no wait.
  std::optional<Message> poll(int source = -1, int tag = -1);
  // Waits for such a message, sleeping between polls; nullopt after `timeout`.
  std::optional<Message> wait(int source, int tag, std::chrono::milliseconds timeout);

 private:
  World() = default;
  bool started_ = false, mpi_ = false, lost_ = false;
  int rank_ = 0, size_ = 1, local_size_ = 1;
  std::string host_;
  std::FILE* errors_ = nullptr;
};

// Sleeps between polls: short right after activity (a reply usually comes within microseconds),
// growing to 1 ms when nothing happens, so an idle rank costs no CPU time to speak of.
class Backoff {
 public:
  void reset() { sleep_us_ = 0; }
  void pause();

 private:
  int sleep_us_ = 0;
};

}  // namespace sanity::distributed
