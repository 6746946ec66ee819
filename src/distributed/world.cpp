#include "distributed/world.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#ifdef SANITY_HAVE_MPI
// The C API only: OpenMPI's and MPICH's mpi.h otherwise pull in the deprecated C++ bindings, which
// need a library of their own (libmpi_cxx).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

#include "core/error.h"

namespace sanity::distributed {

namespace {

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : 0;
}

#ifdef SANITY_HAVE_MPI
void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw std::runtime_error(std::string(call) + " failed: " + text);
}
#endif

}  // namespace

// mpirun (OpenMPI) sets OMPI_COMM_WORLD_SIZE; MPICH's hydra and srun --mpi=pmi2 set PMI_SIZE;
// PMIx launchers (srun --mpi=pmix, prrte) set PMIX_RANK.
bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

int launched_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"})
    if (const int n = env_int(name); n > 0) return n;
  return 1;
}

bool built_with_mpi() {
#ifdef SANITY_HAVE_MPI
  return true;
#else
  return false;
#endif
}

World& World::instance() {
  static World w;
  return w;
}

void World::start() {
  if (started_) return;
  started_ = true;
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) == 0) host_ = name;
  if (!launched_by_mpi()) return;
#ifdef SANITY_HAVE_MPI
  // The report draws its charts in a child process (node): fork() is safe with the shared-memory and
  // TCP transports used here, so OpenMPI's warning about it would only confuse.
  setenv("OMPI_MCA_mpi_warn_on_fork", "0", 0);
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  mpi_ = true;
  // Errors come back as return codes (turned into exceptions) instead of aborting the job unasked.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  check(MPI_Comm_size(local, &local_size_), "MPI_Comm_size");
  MPI_Comm_free(&local);
  if (rank_ > 0 && !std::getenv("SANITY_RANK_OUTPUT")) {
    const int original = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
    if (original >= 0 && null >= 0) {
      errors_ = fdopen(original, "w");
      std::fflush(stdout);
      std::fflush(stderr);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    }
    if (null >= 0) close(null);
  }
#else
  if (launched_world_size() > 1)
    throw InputError("this sanity was built without MPI (libopenmpi-dev was missing when it was configured), so it "
                     "cannot join the " + std::to_string(launched_world_size()) +
                     " processes its launcher started: install libopenmpi-dev and rebuild, or split the study with "
                     "--shard K/N");
#endif
}

void World::stop() {
#ifdef SANITY_HAVE_MPI
  if (!mpi_) return;
  mpi_ = false;
  if (!lost_) MPI_Finalize();
#endif
  std::fflush(stdout);
  std::fflush(stderr);
}

void World::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
#ifdef SANITY_HAVE_MPI
  if (mpi_) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::_Exit(code);
}

bool World::send(int to, int tag, const std::string& bytes, std::chrono::milliseconds timeout) {
#ifdef SANITY_HAVE_MPI
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    throw std::runtime_error("a message of " + std::to_string(bytes.size()) + " bytes is over MPI's 2 GiB limit");
  // The buffer must outlive the send even when we stop waiting for it (a receiver that died).
  auto buffer = std::make_unique<std::string>(bytes);
  MPI_Request request;
  check(MPI_Isend(buffer->data(), static_cast<int>(buffer->size()), MPI_BYTE, to, tag, MPI_COMM_WORLD, &request),
        "MPI_Isend");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Backoff backoff;
  for (;;) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return true;
    if (std::chrono::steady_clock::now() > deadline) break;
    backoff.pause();
  }
  static std::vector<std::unique_ptr<std::string>> abandoned;
  abandoned.push_back(std::move(buffer));
  MPI_Request_free(&request);
  return false;
#else
  (void)to, (void)tag, (void)bytes, (void)timeout;
  throw std::logic_error("World::send in a world of one");
#endif
}

std::optional<Message> World::poll(int source, int tag) {
#ifdef SANITY_HAVE_MPI
  if (!mpi_) return std::nullopt;
  int found = 0;
  MPI_Status status;
  check(MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &found, &status),
        "MPI_Iprobe");
  if (!found) return std::nullopt;
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<size_t>(count), '\0')};
  check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.source, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
  return m;
#else
  (void)source, (void)tag;
  return std::nullopt;
#endif
}

std::optional<Message> World::wait(int source, int tag, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Backoff backoff;
  for (;;) {
    if (auto m = poll(source, tag)) return m;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    backoff.pause();
  }
}

void Backoff::pause() {
  sleep_us_ = sleep_us_ == 0 ? 20 : std::min(2 * sleep_us_, 1000);
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
}

}  // namespace sanity::distributed
