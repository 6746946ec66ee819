#pragma once
// Turning figures into files with the tools the report relies on:
//   Vega-Lite spec -> SVG   node + vega-lite + vega (View.toSVG, no canvas), src/report/render_vega.mjs
//   SVG -> PNG              rsvg-convert (Debian's librsvg2-bin), at a chosen zoom
// and the browser builds of vega, vega-lite and vega-embed that report.html inlines. All are found
// before any work starts; a missing one is one InputError line saying what to install.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sanity::report {

struct Toolchain {
  std::string node, rsvg_convert;  // executables
  std::string js_root;             // holds package.json and node_modules/ (the source tree)
  std::string script;              // js_root/src/report/render_vega.mjs
  std::map<std::string, std::string> versions;  // "vega" -> "6.4.0", and vega-lite, vega-embed
};

// node / rsvg_convert: names looked up on $PATH, or paths. Throws InputError naming what is missing.
Toolchain find_toolchain(const std::string& node, const std::string& rsvg_convert, const std::string& js_root);

struct SvgJob {
  std::string name;             // for error messages
  const nlohmann::json* spec;   // Vega-Lite
  std::string svg_path;
};
// Renders every spec with one node process (work_dir holds its job list while it runs).
void render_svgs(const Toolchain& tools, const std::vector<SvgJob>& jobs, const std::string& work_dir);
// Draws each (svg, png) path pair, one rsvg-convert per core at once (each is single-threaded; the
// report's 54 figures took 12 s one after another on 2 cores). zoom: PNG pixels per SVG unit (SVG
// units are CSS pixels, 96 per inch: 2 for screens, 3.125 = 300 dpi). Throws the first failure.
void svgs_to_pngs(const Toolchain& tools, const std::vector<std::pair<std::string, std::string>>& svg_png,
                  double zoom);
// (package, minified browser build) of vega, vega-lite, vega-embed, in the order a page loads them.
std::vector<std::pair<std::string, std::string>> browser_bundles(const Toolchain& tools);

}  // namespace sanity::report
