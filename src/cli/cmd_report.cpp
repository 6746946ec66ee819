// sanity report: a study directory -> figures (PNG, SVG) and one self-contained report.html.
#include <cstdio>

#include "api/study.h"
#include "cli/commands.h"
#include "cli/setting_flags.h"
#include "core/files.h"

namespace sanity::cli {

Command make_report_command() {
  struct Args {
    std::string study, out;
    report::ReportOptions options;
    nlohmann::json given = nlohmann::json::object(), verdicts = nlohmann::json::object();
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand("report", "Draw a study's figures (PNG, SVG) and write a self-contained report.html");
    s->add_option("--study", a->study, "the study directory (results.sqlite, study.json, maps/)")->required();
    s->add_option("--out", a->out, "output directory (default: STUDY/report)");
    add_setting_flags(s, report::report_settings(), report::ReportOptions{}, a->given);
    add_setting_flags(s, verdict_settings(), VerdictRule{}, a->verdicts, "verdicts: ",
                      [](const Setting&) { return "the study's"; });
    return s;
  };
  c.execute = [a] {
    report::report_settings().apply_flags(a->given, a->options, cli_flag());
    a->options.verdicts = a->verdicts;
    if (!a->out.empty()) ensure_directory(a->out, "--out");
    const report::ReportFiles files = api::report(a->study, a->out, a->options);
    std::printf("wrote %s (%zu figure files)\n", files.html.c_str(), files.figures.size());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
