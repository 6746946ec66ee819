#include "report/figures.h"

namespace sanity::report {

RunContext make_run_context(const Study& study, const RunInfo& run) {
  return {study, run, study.methods(run.id), "run" + std::to_string(run.id) + "_"};
}

}  // namespace sanity::report
