#include "report/report.h"

#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/build_info.h"
#include "core/error.h"
#include "metrics/registry.h"
#include "report/checks.h"
#include "report/figures.h"
#include "report/html.h"
#include "report/render.h"
#include "report/scorecard.h"

namespace fs = std::filesystem;

namespace sanity::report {

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Writes next to the target, then renames: a reader never sees half a file.
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("report: cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

void append(std::vector<Figure>& to, std::vector<Figure>&& from) {
  for (Figure& f : from) to.push_back(std::move(f));
}

// The checks of index.json that get a saliency grid: those the report knows (an unknown one, e.g.
// emprt, is listed under "not shown" with its measurements) whose maps are all on disk. `sanity check`
// writes index.json before it computes the maps, so a run in progress or cut off lists maps that do
// not exist yet: that check gets a note instead of a grid, not an error for the whole report.
MapsIndex drawable_checks(MapsIndex index, std::vector<std::string>& notes) {
  std::vector<MapsCheck> keep;
  for (MapsCheck& check : index.checks) {
    if (!find_check(check.name)) continue;
    std::string missing;
    for (const MapsStage& st : check.stages)
      for (const MapsMethod& m : index.methods)
        if (missing.empty() && !fs::exists(index.map_path(check.name, st.stage, m)))
          missing = index.map_path(check.name, st.stage, m);
    if (missing.empty())
      keep.push_back(std::move(check));
    else
      notes.push_back("No saliency grid for check '" + check.name + "': its maps are not all written yet (" + missing +
                      " is missing; is the run still going or was it cut off?).");
  }
  index.checks = std::move(keep);
  return index;
}

RunSection build_run(const Study& study, const RunInfo& run, const ReportOptions& options, const VerdictRule& rule) {
  const RunContext c = make_run_context(study, run, options.bands, rule.bootstrap());
  RunSection s;
  s.run = run;
  append(s.figures, similarity_figures(c));
  append(s.figures, accuracy_figures(c));
  append(s.figures, activation_figures(c));
  const std::string maps = study.maps_dir(run.id);
  if (!sanity_built_with_opencv())  // its tiles are OpenCV's PNGs; the rest of the report needs none
    s.notes.push_back("No saliency map grids: this sanity was built without OpenCV (SANITY_WITH_OPENCV=OFF, the lean "
                      "GPU build); report the study with a full build to draw them.");
  else if (fs::is_regular_file(fs::path(maps) / "index.json"))
    append(s.figures, saliency_grid_figures(c, drawable_checks(read_maps_index(maps), s.notes), options.grid_images));
  else
    s.notes.push_back("No saliency maps were saved for this run (" + maps + "/index.json does not exist), so there is no map grid.");
  append(s.figures, csc_figures(c));
  append(s.figures, faithfulness_figures(c));
  s.ranking = ranking_table(study, run.id, {options.ranking_metric, rule.bootstrap()});
  append(s.figures, ranking_figures(c, s.ranking));
  s.scorecard = build_scorecard(study, run.id, s.ranking, rule);

  for (const auto& [check, rows] : study.check_rows(run.id))
    if (!is_drawn_check(check))
      s.notes.push_back("Not shown: check '" + check + "' (" + std::to_string(rows) +
                        " measurements), which this report does not know how to draw.");
  if (study.check_rows(run.id).empty()) s.notes.push_back("This run has no measurements yet.");
  // Names are file names: make them unique (two metric specs can share a slug).
  std::set<std::string> names;
  for (Figure& f : s.figures) {
    const std::string base = f.name;
    for (int i = 2; !names.insert(f.name).second; i++) f.name = base + "_" + std::to_string(i);
  }
  return s;
}

// Throws InputError for the first option out of range, before the study is read.
// Options filled in by code are checked as the flags are (a caller's typo is one line, not a figure).
void check_report_options(const ReportOptions& options) {
  report_settings().validate(options, cli_flag());
  try {
    MetricRegistry::instance().make(options.ranking_metric);
  } catch (const InputError& e) {
    throw InputError("--ranking-metric " + options.ranking_metric + ": " + e.what());
  }
  VerdictRule checked;
  verdict_settings().apply_flags(options.verdicts, checked, cli_flag());
}

// The study's verdict rule with the options' overrides.
VerdictRule report_rule(const Study& study, const ReportOptions& options) {
  VerdictRule rule = study_verdict_rule(study);
  verdict_settings().apply_flags(options.verdicts, rule, cli_flag());
  return rule;
}

ReportPage read_page(const std::string& study_dir, const Study& study, const ReportOptions& options,
                     const VerdictRule& rule, const Toolchain& tools) {
  ReportPage page;
  page.study_dir = study_dir;
  page.generated = utc_now();
  page.study_config = study.config();
  page.study_config_source = study.config_source();
  page.options = options;
  page.versions = tools.versions;
  page.scripts = browser_bundles(tools);
  page.rule = rule;
  for (const RunInfo& run : study.runs()) page.runs.push_back(build_run(study, run, options, rule));
  return page;
}

// Writes each composed SVG and each Vega-Lite spec, then draws the specs to SVG. Returns every
// figure's SVG path, in page order.
std::vector<std::pair<std::string, const Figure*>> write_svgs(const ReportPage& page, const Toolchain& tools,
                                                              const fs::path& figures) {
  std::vector<SvgJob> jobs;
  std::vector<std::pair<std::string, const Figure*>> svgs;
  for (const RunSection& s : page.runs)
    for (const Figure& f : s.figures) {
      const std::string svg = (figures / (f.name + ".svg")).string();
      if (f.spec.is_null()) {
        write_atomically(svg, f.svg);
      } else {
        write_atomically(figures / (f.name + ".vl.json"), f.spec.dump(2) + "\n");
        jobs.push_back({f.name, &f.spec, svg});
      }
      svgs.push_back({svg, &f});
    }
  render_svgs(tools, jobs, figures.string());
  return svgs;
}

// Draws a PNG beside each SVG (from its raster_svg when it has one) and lists both in `files`.
void write_pngs(const std::vector<std::pair<std::string, const Figure*>>& svgs, const Toolchain& tools,
                double zoom, ReportFiles& files) {
  std::vector<std::pair<std::string, std::string>> svg_png;  // what rsvg-convert draws: (svg, png)
  std::vector<std::string> rasters;                          // temporary: removed whatever happens
  for (const auto& [svg, f] : svgs) {
    const std::string stem = svg.substr(0, svg.size() - 4), png = stem + ".png";
    if (f->raster_svg.empty()) {
      svg_png.emplace_back(svg, png);
    } else {
      rasters.push_back(stem + ".raster.svg");
      write_atomically(rasters.back(), f->raster_svg);
      svg_png.emplace_back(rasters.back(), png);
    }
    files.figures.push_back(svg);
    files.figures.push_back(png);
  }
  auto remove_rasters = [&] {
    for (const std::string& r : rasters) fs::remove(r);
  };
  try {
    svgs_to_pngs(tools, svg_png, zoom);
  } catch (...) {
    remove_rasters();
    throw;
  }
  remove_rasters();
}

}  // namespace

ReportFiles write_report(const std::string& study_dir, const std::string& out_dir_arg, const ReportOptions& options) {
  check_report_options(options);
  const Study study(study_dir);
  const VerdictRule rule = report_rule(study, options);
  const Toolchain tools = find_toolchain(options.node, options.rsvg_convert, options.js_root);

  // Everything is read and checked before anything is written.
  const ReportPage page = read_page(study_dir, study, options, rule, tools);

  const fs::path out = out_dir_arg.empty() ? fs::path(study_dir) / "report" : fs::path(out_dir_arg);
  const fs::path figures = out / "figures";
  fs::create_directories(figures);
  ReportFiles files;
  write_pngs(write_svgs(page, tools, figures), tools, options.png_zoom, files);
  files.html = (out / "report.html").string();
  write_atomically(files.html, report_html(page));
  return files;
}

}  // namespace sanity::report
