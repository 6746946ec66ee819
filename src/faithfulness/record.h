#pragma once
// Faithfulness results in the results store (docs/RESULTS_SCHEMA.md): check 'pixel_flipping', stage -1
// (not applicable), method = the method spec, one work unit per method.
//   per image and step k: morf_prob, lerf_prob, morf_logit, lerf_logit,
//                         insertion_prob, deletion_prob (step = pixel step)
//   per image:            aopc_morf, aopc_lerf, aopc_gap, insertion_auc, deletion_auc
// (This file is the one place where faithfulness depends on results/: the measures themselves do not.)
#include <vector>

#include "faithfulness/faithfulness.h"
#include "results/store.h"

namespace sanity {

inline constexpr const char* kFaithfulnessCheck = "pixel_flipping";

// The rows of one method's result; ids [N] int64 are the image ids of the result's rows.
std::vector<Measurement> faithfulness_rows(const FaithfulnessResult& result, const Tensor& ids);

// The work unit of `method` in `run`.
WorkUnit faithfulness_unit(int64_t run, const std::string& method);

// Writes the rows and marks the unit done, atomically; false when it was already done.
bool record_faithfulness(ResultsStore& store, int64_t run, const std::string& method,
                         const FaithfulnessResult& result, const Tensor& ids);

}  // namespace sanity
