#pragma once
// src/study: one study: the check runner (a loop over study/checks) and `sanity run`'s
// configuration and orchestration.
//
// Runs the sanity checks of one CheckConfig into a study directory:
//   DIR/results.sqlite                       every score, per image, stage, method and metric
//   DIR/maps/<run>/index.json, images.npy    the saliency-grid images, and per check and stage
//   DIR/maps/<run>/<check>/<stage>/<m>.npy   their explanations (docs/STUDY_DIRECTORY.md)
//   DIR/cache/<run>/original/<m>.npy         the trained model's explanations, reused on resume
// Work is committed unit by unit (check, stage, method): a killed run loses nothing committed and a
// rerun with the same configuration resumes; adding a method computes only that method. The runner
// computes the units of the configuration's checks (study/checks/check.h) as tasks (check_tasks.h):
// in order in one process; or, in a distributed World (distributed/world.h: started by mpirun), rank 0
// opens the study and hands tasks out to every rank (itself included), and it alone commits them, so
// the store, its crash safety and resume are those of one process. With CheckConfig::shard, only one
// shard's units, into OUT/shards/K-of-N/ (`sanity merge` joins the shards: study/merge.h).
#include <cstdint>
#include <vector>

#include "study/check_config.h"

namespace sanity {

struct CheckSummary {
  int64_t run_id = 0;
  int64_t units_done = 0, units_skipped = 0;  // computed now / already in the database
  double seconds = 0;
  std::vector<int64_t> units_by_rank;  // distributed (on rank 0): units computed by each rank
};

CheckSummary run_checks(const CheckConfig& config);

}  // namespace sanity
