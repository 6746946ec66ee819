#pragma once
// Studies in a directory (docs/STUDY_DIRECTORY.md): the checks of one model (`sanity check`), a
// whole configured study (`sanity run`), the merge of a study's shards (`sanity merge`), its report
// (`sanity report`) and its export.
#include "report/report.h"
#include "results/export.h"
#include "study/check_runner.h"
#include "study/merge.h"
#include "study/study_runner.h"

namespace sanity::api {

// What a front end says about a check in words: comma-separated method, check and layer specs (split
// at top level: "gradient,smoothgrad(gradient, n=10)"), the re-initialization by name.
struct CheckLists {
  std::string methods, checks = "cascading,independent", layers, init = "original";
  bool keep_bias = false;
};
// Fills c's lists and re-initialization from `lists`; the re-initialization seed is the test bed's.
void apply_check_lists(CheckConfig& c, const CheckLists& lists);

inline CheckSummary check(const CheckConfig& config) { return run_checks(config); }
inline StudySummary run(const StudyConfig& config, const StudyRunOptions& options) { return run_study(config, options); }
inline MergeSummary merge(const std::string& out, const std::vector<std::string>& shards) {
  return merge_shards(out, shards);
}
inline report::ReportFiles report(const std::string& study, const std::string& out = "",
                                  const report::ReportOptions& options = {}) {
  return report::write_report(study, out, options);
}

}  // namespace sanity::api
