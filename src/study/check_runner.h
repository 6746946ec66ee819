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
// is a loop over the configuration's checks (study/checks/check.h).
#include <cstdint>

#include "study/check_config.h"

namespace sanity {

struct CheckSummary {
  int64_t run_id = 0;
  int64_t units_done = 0, units_skipped = 0;  // computed now / already in the database
  double seconds = 0;
};

CheckSummary run_checks(const CheckConfig& config);

}  // namespace sanity
