#pragma once
// The scorecard that opens the report: one row per method, one column group per check, each number
// with its confidence interval and each verdict colour-coded (stats/verdicts.h states the rule):
//   last-stage similarity of every randomization check judged at its last stage (cascading, data, ...)
//   CSC at the lowest layer (median |cos| with its interval; no verdict: docs/DEFINITIONS.md gives no rule)
//   faithfulness gap (AOPC MoRF - LeRF) with its interval and verdict
//   the ranks of the ranking table (first randomization check, the gap)
// Rows: the baselines first (noise and the edge detector are what every verdict is judged against),
// then the methods family by family (method_family.h). Under the table, how each verdict was reached
// and the claims of order the ranks imply, each with its paired test.
#include <map>
#include <string>
#include <vector>

#include "report/ranking.h"
#include "report/verdicts.h"

namespace sanity::report {

struct Scorecard {
  int64_t run = 0;
  VerdictRule rule;
  std::vector<std::string> methods;          // row order
  std::vector<CheckVerdicts> randomization;  // the checks judged at their last stage, in registry order
  CheckVerdicts faithfulness;                // empty methods when pixel flipping did not run
  std::string csc_layer;                     // the lowest layer with a CSC ('' when none)
  std::map<std::string, Interval> csc;       // method -> median at csc_layer (estimate) and its interval
  struct RankColumn {
    std::string key, label;
    std::map<std::string, double> ranks;  // method -> rank (1 = best)
    int64_t ranked = 0;                   // methods ranked
  };
  std::vector<RankColumn> ranks;
  std::map<std::string, std::vector<OrderClaim>> claims;  // check -> claims of order

  bool empty() const { return methods.empty(); }
};

Scorecard build_scorecard(const Study& study, int64_t run, const RankingTable& ranking, const VerdictRule& rule);
// The scorecard's section of the page: its table (class "scorecard", id "scorecard-run<id>", every
// number also in data-* attributes at full precision for tests and scripts) and the details below it.
std::string scorecard_html(const Scorecard& card, const std::string& run_title);
// The verdict rule as the report states it, with its settings.
std::string verdict_rule_html(const VerdictRule& rule);

}  // namespace sanity::report
