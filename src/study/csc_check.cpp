#include "study/csc_check.h"

namespace sanity {

std::vector<CscUnit> csc_units(const CscResult& r) {
  std::vector<CscUnit> out;
  int64_t depth = 0;
  for (const auto& l : r.layers) {
    CscUnit u{depth++, l.name, {}};
    // A one-channel layer (the MNIST input) has no direction to compare: |cos| of scalars is 1.
    if (l.count == 0 || l.channels <= 1) continue;
    u.rows = {{"csc_median", l.median, -1, -1, l.name},
              {"csc_q1", l.q25, -1, -1, l.name},
              {"csc_q3", l.q75, -1, -1, l.name},
              {"csc_mean", l.mean, -1, -1, l.name},
              {"csc_baseline", l.baseline_median, -1, -1, l.name}};
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace sanity
