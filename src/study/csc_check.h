#pragma once
// CSC (Sixt et al. 2020, metrics/csc.h) as a check of the study: one work unit per method and layer
// depth, stage = depth below the logits (0: the layer the signal is injected at), so the report can
// draw median and quartiles per layer next to the Gaussian baseline.
#include <string>
#include <vector>

#include "metrics/csc.h"
#include "results/store.h"

namespace sanity {

struct CscUnit {
  int64_t stage = 0;
  std::string layer;
  std::vector<Measurement> rows;  // csc_median, csc_q1, csc_q3, csc_mean, csc_baseline
};

// The stored form of one method's CSC result, one unit per layer with at least one pooled value.
std::vector<CscUnit> csc_units(const CscResult& result);

}  // namespace sanity
