#pragma once
// src/report: figures and the self-contained HTML report of a study directory.
//
// A study directory -> figures (PNG and SVG, one file each) and one self-contained report.html.
//
//   sanity::report::write_report("runs/mnist", "runs/mnist/report");
//
// writes OUT/figures/<name>.svg, <name>.png (and <name>.vl.json, the Vega-Lite spec, to restyle a
// chart) and OUT/report.html, which opens offline: vega, vega-lite and vega-embed are inlined and
// every chart is drawn live from its spec; saliency grids are inline SVG. It opens with the scorecard
// (scorecard.h): each method's verdict per check with its confidence interval. The study directory is
// described in docs/STUDY_DIRECTORY.md; the figures in figures.h.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/settings.h"

namespace sanity::report {

struct ReportOptions {
  int grid_images = 2;                  // saliency grids for the first N saved images per check (0: all)
  std::string ranking_metric = "spearman_abs";  // similarity metric of the randomization ranking scores
  double png_zoom = 2;                  // PNG pixels per SVG unit: 2 for screens, 3.125 = 300 dpi for print
  std::string node = "node";            // executables, looked up on $PATH unless given as paths
  std::string rsvg_convert = "rsvg-convert";
  std::string js_root = SANITY_SOURCE_DIR;  // holds node_modules/ (npm ci) and src/report/render_vega.mjs
  // What the figures' bands show: "ci", the bootstrap confidence interval of the mean over the images
  // (the verdict rule's resamples and confidence), or "std", +-1 standard deviation.
  std::string bands = "ci";
  // Overrides of the verdict rule by verdict_settings() key ({"alpha": 0.01}, stats/verdicts.h). The
  // rule is otherwise the study's (study.json's "verdicts", which `sanity run` records), or the default.
  nlohmann::json verdicts = nlohmann::json::object();
};

// The options' table (core/settings.h): `sanity report`'s flags and sanity.report()'s arguments with
// the verdict rule's table, docs/SETTINGS.md. node, rsvg_convert and js_root are the installation's.
const Settings<ReportOptions>& report_settings();

struct ReportFiles {
  std::string html;                  // OUT/report.html
  std::vector<std::string> figures;  // every SVG and PNG written, SVG before its PNG
};

// out_dir "" means STUDY/report. Throws InputError (one line naming the file and field, or the tool
// to install) for an invalid study or a missing tool, before writing anything.
ReportFiles write_report(const std::string& study_dir, const std::string& out_dir = "", const ReportOptions& options = {});

}  // namespace sanity::report
