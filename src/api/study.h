#pragma once
// Studies in a directory (docs/STUDY_DIRECTORY.md): the checks of one model (`sanity check`), a
// whole configured study (`sanity run`), its report (`sanity report`) and its export.
#include "report/report.h"
#include "results/export.h"
#include "study/check_runner.h"
#include "study/study_runner.h"

namespace sanity::api {

inline CheckSummary check(const CheckConfig& config) { return run_checks(config); }
inline StudySummary run(const StudyConfig& config, const StudyRunOptions& options) { return run_study(config, options); }
inline report::ReportFiles report(const std::string& study, const std::string& out = "",
                                  const report::ReportOptions& options = {}) {
  return report::write_report(study, out, options);
}

}  // namespace sanity::api
