#pragma once
// The HTML page of the report: one file, no network. It opens with the scorecard. Scripts (vega,
// vega-lite, vega-embed) are inlined, each chart is its Vega-Lite spec drawn live by vega-embed,
// saliency grids are inline SVG with data-URI tiles, and a Content-Security-Policy forbids any request, so a forgotten external reference
// fails loudly in the browser test instead of silently needing a network.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/figure.h"
#include "report/ranking.h"
#include "report/report.h"
#include "report/scorecard.h"
#include "results/store.h"

namespace sanity::report {

struct RunSection {
  RunInfo run;
  std::vector<Figure> figures;  // in display order; Vega-Lite figures carry their spec
  RankingTable ranking;
  Scorecard scorecard;             // opens the report
  std::vector<std::string> notes;  // what is not shown and why
};

struct ReportPage {
  std::string study_dir, generated;  // generated: UTC, ISO 8601
  nlohmann::json study_config;       // study.json, or what each run ran (Study::config)
  std::string study_config_source;   // Study::config_source
  std::vector<RunSection> runs;
  std::vector<std::pair<std::string, std::string>> scripts;  // (package, code) to inline, in load order
  std::map<std::string, std::string> versions;               // charting library versions
  ReportOptions options;
  VerdictRule rule;                                          // the verdicts' rule and the intervals' settings
};

std::string report_html(const ReportPage& page);
// A spec as text safe inside <script type="application/json"> (no '<', '>' or '&').
std::string script_json(const nlohmann::json& j);

}  // namespace sanity::report
