// sanity report: a study directory -> figures (PNG, SVG) and one self-contained report.html.
#include <cstdio>

#include "api/study.h"
#include "cli/commands.h"
#include "core/files.h"

namespace sanity::cli {

Command make_report_command() {
  struct Args {
    std::string study, out;
    report::ReportOptions options;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand("report", "Draw a study's figures (PNG, SVG) and write a self-contained report.html");
    s->add_option("--study", a->study, "the study directory (results.sqlite, study.json, maps/)")->required();
    s->add_option("--out", a->out, "output directory (default: STUDY/report)");
    s->add_option("--images", a->options.grid_images, "saliency grids for the first N saved images (0: all)")
        ->capture_default_str();
    s->add_option("--ranking-metric", a->options.ranking_metric, "similarity metric behind the randomization ranking")
        ->capture_default_str();
    s->add_option("--zoom", a->options.png_zoom, "PNG pixels per SVG unit (2: screens; 3.125: 300 dpi)")
        ->capture_default_str();
    s->add_option("--bands", a->options.bands, "the figures' bands: ci (bootstrap interval of the mean) or std")
        ->capture_default_str();
    s->add_option("--threshold", a->options.threshold,
                  "verdicts: a randomization check passes below this upper interval bound (default: the study's, 0.5)");
    s->add_option("--margin", a->options.margin,
                  "verdicts: a randomization check fails within this of the edge detector's similarity (default 0.05)");
    s->add_option("--alpha", a->options.alpha, "verdicts: family-wise error rate of the Holm-corrected tests (default 0.05)");
    return s;
  };
  c.execute = [a] {
    if (!a->out.empty()) ensure_directory(a->out, "--out");
    const report::ReportFiles files = api::report(a->study, a->out, a->options);
    std::printf("wrote %s (%zu figure files)\n", files.html.c_str(), files.figures.size());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
