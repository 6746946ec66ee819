#pragma once
// How the ranks of a World (world.h) share one study: phases that every rank enters in the same
// order, each either work that rank 0 does alone (train a model, open the results store) or a list
// of tasks that rank 0 hands out one at a time as ranks ask for them (their costs differ a
// hundredfold, so a fixed split would leave ranks idle). Tasks and results are opaque bytes here;
// the study (study/check_runner.h) says what they mean.
//
//   run_on_rank0(fn)         rank 0 runs fn; every rank returns the bytes fn returned
//   coordinate(tasks, ...)   rank 0: hands out tasks, computes some itself, records every result
//   serve(compute)           the other ranks: compute what rank 0 hands out until it says "none"
//
// Faults. Each rank keeps its main thread for messages and computes in a second thread, so a rank
// that computes still answers: workers send a heartbeat every second, rank 0 a keepalive while it
// works alone. A worker silent for rank_timeout() (SANITY_RANK_TIMEOUT, default 60 s) is taken for
// dead and its task goes to another rank; its result, should it come after all, is recorded if the
// task is not yet. This needs a launcher that keeps the other ranks going when one dies (OpenMPI:
// mpirun --enable-recovery); a plain mpirun ends the whole job instead, and rank 0 prints one line
// saying that the committed units are kept (the rerun computes the rest). An error in any rank is
// printed once, by rank 0, and ends every rank with its exit code.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "distributed/world.h"

namespace sanity::distributed {

// Computes one task (its bytes) into result bytes; may throw (the run ends with that error).
using ComputeFn = std::function<std::string(const std::string& task)>;
// Rank 0 stores one result; called on rank 0's main thread, once per task.
using RecordFn = std::function<void(size_t task, const std::string& result, int rank)>;

// How long a rank may stay silent before it is taken for dead: SANITY_RANK_TIMEOUT seconds
// (default 60); InputError naming the variable when it is not a positive number.
std::chrono::milliseconds rank_timeout();

// Every rank calls it at the same point: rank 0 runs fn (in its compute thread, while the main
// thread keeps the others informed) and sends fn's bytes to every rank; all return them.
std::string run_on_rank0(const std::function<std::string()>& fn);

struct CoordinateOptions {
  bool compute_here = true;                          // rank 0 computes tasks too
  std::function<std::string(size_t task)> describe;  // names a task in notes ("cascading stage 2 gradient")
};

// Rank 0: every task is computed (by some rank) and recorded once, in any order. Returns the number
// of tasks that had to be handed out again because their rank fell silent.
int64_t coordinate(const std::vector<std::string>& tasks, const ComputeFn& compute, const RecordFn& record,
                   const CoordinateOptions& options = {});
// The other ranks, at the same point: compute the tasks rank 0 sends until it has none left.
void serve(const ComputeFn& compute);

// The end of a command that failed with (exit code, message). In a world of one: prints the one
// line and returns the code. Distributed: rank 0 prints it and ends every rank with the code; another
// rank sends it to rank 0, which does the same (or, when rank 0 does not answer, prints it itself).
int fail(int code, const std::string& message);

}  // namespace sanity::distributed
