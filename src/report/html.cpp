#include "report/html.h"

#include <cmath>
#include <cstdio>

#include "report/markup.h"
#include "report/study.h"

namespace sanity::report {

namespace {

const char* kStyle = R"css(
:root { --ink: #1d2329; --muted: #5b6670; --line: #dde2e6; --accent: #0b5cad; --card: #fff; --bg: #f5f7f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 "DejaVu Sans", Helvetica, Arial, sans-serif; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 8px; padding-top: 8px; border-top: 2px solid var(--ink); }
h3 { font-size: 17px; margin: 28px 0 6px; }
h4 { font-size: 14px; margin: 0 0 8px; }
p.lead { color: var(--muted); margin: 0 0 12px; }
nav ul { columns: 2; padding-left: 18px; margin: 8px 0; }
a { color: var(--accent); }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; overflow-x: auto; }
figure.wide { grid-column: 1 / -1; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 8px; }
figcaption .files { display: block; margin-top: 4px; }
.chart { min-height: 60px; }
img.grid { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 13px; background: var(--card); margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: bold; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; }
pre { background: var(--card); border: 1px solid var(--line); padding: 10px; overflow-x: auto; max-height: 420px; }
.note { color: var(--muted); font-size: 13px; }
dl.defs dt { font-weight: bold; font-size: 13px; }
dl.defs dd { margin: 0 0 6px 16px; font-size: 13px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; padding: 24px; }
svg.grid { max-width: 100%; height: auto; display: block; }
table.scorecard th .sub { display: block; font-weight: normal; color: var(--muted); font-size: 11px; }
table.scorecard tr.family th { background: #e3e8ec; text-align: left; font-size: 12px; }
table.scorecard tr.reference td:not(.verdict) { background: #f4f5f7; }  /* the verdict keeps its colour */
table.scorecard .ci, table.tests .ci { color: var(--muted); font-size: 11px; }
.verdict { font-weight: bold; text-align: center; border-radius: 3px; padding: 0 4px; }
.verdict.pass { background: #d7efdc; color: #12612b; }
.verdict.fail { background: #f8d5d1; color: #8c1d12; }
.verdict.inconclusive { background: #fbecc8; color: #714c00; }
.verdict.none { color: #888; font-weight: normal; }
p.rule { font-size: 13px; max-width: 1100px; }
tr.tie td { color: var(--muted); }
@media print { body { background: white; } figure { break-inside: avoid; } }
)css";

// Draws every chart with vega-embed; window.sanityReport tells a test (or a curious reader) how it went.
const char* kBoot = R"js(
(function () {
  var status = window.sanityReport = { charts: 0, rendered: 0, errors: [], done: false };
  var divs = document.querySelectorAll('div.chart[data-spec]');
  status.charts = divs.length;
  var jobs = Array.prototype.map.call(divs, function (div) {
    var spec = JSON.parse(document.getElementById(div.getAttribute('data-spec')).textContent);
    return vegaEmbed(div, spec, { renderer: 'svg', actions: false })
      .then(function () { status.rendered++; })
      .catch(function (e) {
        status.errors.push(div.id + ': ' + e);
        console.error('chart ' + div.id + ' failed:', e);
        div.textContent = 'This chart could not be drawn: ' + e;
      });
  });
  Promise.all(jobs).then(function () { status.done = true; });
})();
)js";

std::string esc(const std::string& s) { return escape_markup(s); }

std::string fmt(double v, const char* format = "%.3g") { return format_number(v, format); }

std::string figure_card(const Figure& f) {
  const bool wide = f.kind == "saliency_grid" || f.kind == "ranking";
  std::string h = "<figure id=\"fig-" + esc(f.name) + "\"" + (wide ? " class=\"wide\"" : "") + ">\n<h4>" +
                  esc(f.title) + "</h4>\n";
  if (f.spec.is_null()) {
    // Inline (a data URI would base64 the SVG's base64 tiles a second time); tiles at the maps' own
    // resolution, drawn with sharp pixels by the browser (image-rendering: pixelated).
    const std::string& svg = f.svg;
    const size_t open = svg.find("<svg ");
    h += "<div class=\"grid\" role=\"img\" aria-label=\"" + esc(f.title) + "\">" +
         (open == std::string::npos ? svg : svg.substr(0, open + 5) + "class=\"grid\" " + svg.substr(open + 5)) + "</div>\n";
  } else {
    h += "<div class=\"chart\" id=\"chart-" + esc(f.name) + "\" data-spec=\"spec-" + esc(f.name) + "\"></div>\n";
    h += "<script type=\"application/json\" id=\"spec-" + esc(f.name) + "\">" + script_json(f.spec) + "</script>\n";
  }
  h += "<figcaption>" + esc(f.guide) + "<span class=\"files\">Files: <a href=\"figures/" + esc(f.name) +
       ".png\">PNG</a> \u00b7 <a href=\"figures/" + esc(f.name) + ".svg\">SVG</a>" +
       (f.spec.is_null() ? "" : " \u00b7 <a href=\"figures/" + esc(f.name) + ".vl.json\">Vega-Lite spec</a>") +
       "</span></figcaption>\n</figure>\n";
  return h;
}

std::string figures_block(const RunSection& s, const std::vector<std::string>& kinds) {
  std::string h;
  for (const Figure& f : s.figures)
    for (const std::string& k : kinds)
      if (f.kind == k) h += figure_card(f);
  return h.empty() ? "" : "<div class=\"figures\">\n" + h + "</div>\n";
}

bool has_kind(const RunSection& s, const std::string& kind) {
  for (const Figure& f : s.figures)
    if (f.kind == kind) return true;
  return false;
}

std::string ranking_tables(const RankingTable& t) {
  if (t.methods.empty()) return "";
  std::string h = "<table class=\"ranking\">\n<tr><th rowspan=\"2\">method</th>";
  for (const Criterion& c : t.criteria)
    h += "<th colspan=\"2\">" + esc(c.label) + (c.higher_is_better ? " \u2191" : " \u2193") + "</th>";
  h += "</tr>\n<tr>";
  for (size_t j = 0; j < t.criteria.size(); j++) h += "<th>score</th><th>rank</th>";
  h += "</tr>\n";
  for (size_t i = 0; i < t.methods.size(); i++) {
    h += "<tr><td><code>" + esc(t.methods[i]) + "</code></td>";
    for (size_t j = 0; j < t.criteria.size(); j++) {
      const double r = t.ranks[i][j];
      const std::string best = r == 1 ? " best" : "";
      h += "<td class=\"num" + best + "\">" + fmt(t.scores[i][j]) + "</td><td class=\"num" + best + "\">" +
           fmt(r, r == std::floor(r) ? "%.0f" : "%.1f") + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n<dl class=\"defs\">\n";
  for (const Criterion& c : t.criteria)
    h += "<dt>" + esc(c.label) + " (" + c.kind + ", " + (c.higher_is_better ? "higher" : "lower") +
         " is better)</dt><dd>" + esc(c.definition) + "</dd>\n";
  h += "</dl>\n<h4>Rank correlation between the rankings (Spearman, over the methods scored by both)</h4>\n"
       "<p class=\"note\">In brackets: the 95 % interval from resampling the images, recomputing every score and "
       "ranking afresh (percentile bootstrap); none where a column has no score per image (CSC pools its images). An "
       "interval that contains 0 means the two rankings' agreement is within noise.</p>\n<table class=\"agreement\">\n<tr><th></th>";
  for (const Criterion& c : t.criteria) h += "<th>" + esc(c.label) + "</th>";
  h += "</tr>\n";
  for (size_t j = 0; j < t.criteria.size(); j++) {
    h += "<tr><th>" + esc(t.criteria[j].label) + "</th>";
    for (size_t k = 0; k < t.criteria.size(); k++) {
      const bool has_ci = j < t.rank_correlation_ci.size() && std::isfinite(t.rank_correlation_ci[j][k].low) && j != k;
      h += "<td class=\"num\" title=\"" + std::to_string(t.rank_correlation_n[j][k]) + " methods\"" +
           (has_ci ? " data-low=\"" + attribute_number(t.rank_correlation_ci[j][k].low) + "\" data-high=\"" +
                         attribute_number(t.rank_correlation_ci[j][k].high) + "\""
                   : std::string()) +
           ">" + fmt(t.rank_correlation[j][k], "%.2f") +
           (has_ci ? " <span class=\"ci\">[" + fmt(t.rank_correlation_ci[j][k].low, "%.2f") + ", " +
                         fmt(t.rank_correlation_ci[j][k].high, "%.2f") + "]</span>"
                   : std::string()) +
           "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

std::string json_cell(const nlohmann::json& v) {
  return v.is_string() ? esc(v.get<std::string>()) : "<code>" + esc(v.dump()) + "</code>";
}

std::string options_section(const ReportPage& p) {
  std::string h = "<h2 id=\"options\">Options and versions</h2>\n<h3>Study configuration</h3>\n<p>From " +
                  esc(p.study_config_source) + ".</p>\n";
  if (p.study_config.empty()) {
    h += "<p class=\"note\">The configuration is an empty object.</p>\n";
  } else {
    h += "<table>\n<tr><th>key</th><th>value</th></tr>\n";
    for (const auto& [key, value] : p.study_config.items())
      h += "<tr><td><code>" + esc(key) + "</code></td><td>" + json_cell(value) + "</td></tr>\n";
    h += "</table>\n<details><summary>as written</summary><pre>" + esc(p.study_config.dump(2)) +
         "</pre></details>\n";
  }
  h += "<h3>Runs (results.sqlite)</h3>\n<table>\n<tr><th>run</th><th>model</th><th>data</th><th>seed</th>"
       "<th>sanity</th><th>torch</th><th>created</th><th>options</th></tr>\n";
  for (const RunSection& s : p.runs) {
    const RunInfo& r = s.run;
    h += "<tr><td class=\"num\">" + std::to_string(r.id) + "</td><td><code>" + esc(r.config.model) + "</code></td><td><code>" +
         esc(r.config.data) + "</code></td><td class=\"num\">" + std::to_string(r.config.seed) + "</td><td>" +
         esc(r.sanity_version) + "</td><td>" + esc(r.torch_version) + "</td><td>" + esc(r.created) +
         "</td><td><details><summary>show</summary><pre>" + esc(r.config.options.dump(2)) + "</pre></details></td></tr>\n";
  }
  h += "</table>\n<h3>This report</h3>\n<table>\n";
  h += "<tr><td>sanity</td><td>" + esc(SANITY_VERSION) + "</td></tr>\n";
  for (const auto& [package, version] : p.versions)
    h += "<tr><td>" + esc(package) + " (inlined)</td><td>" + esc(version) + "</td></tr>\n";
  h += "<tr><td>ranking metric</td><td><code>" + esc(p.options.ranking_metric) + "</code></td></tr>\n";
  h += "<tr><td>verdict rule</td><td><code>" + esc(p.rule.to_json().dump()) + "</code></td></tr>\n";
  h += "<tr><td>figure bands</td><td>" +
       std::string(p.options.bands == "std" ? "\u00b11 standard deviation" : "bootstrap confidence interval of the mean") +
       "</td></tr>\n";
  h += "<tr><td>saliency grids per check</td><td>" +
       (p.options.grid_images > 0 ? "first " + std::to_string(p.options.grid_images) + " saved images" : std::string("all saved images")) +
       "</td></tr>\n";
  h += "<tr><td>PNG zoom</td><td>" + fmt(p.options.png_zoom) + "\u00d7 (" + fmt(p.options.png_zoom * 96, "%.0f") +
       " dpi)</td></tr>\n</table>\n";
  return h;
}

std::string run_section(const RunSection& s) {
  const std::string id = "run" + std::to_string(s.run.id);
  std::string h = "<h2 id=\"" + id + "\">Run " + std::to_string(s.run.id) + ": " + esc(run_label(s.run)) + "</h2>\n";
  h += "<p class=\"lead\">Model <code>" + esc(s.run.config.model) + "</code> on <code>" + esc(s.run.config.data) +
       "</code>, seed " + std::to_string(s.run.config.seed) + ".</p>\n";
  if (const auto& o = s.run.config.options; o.is_object() && o.contains("model_note") && o["model_note"].is_string())
    h += "<p class=\"note\">Note on the model: " + esc(o["model_note"].get<std::string>()) + ".</p>\n";
  if (has_kind(s, "similarity") || has_kind(s, "accuracy") || has_kind(s, "activation")) {
    h += "<h3 id=\"" + id + "-randomization\">Randomization checks (Adebayo et al. 2018)</h3>\n";
    h += figures_block(s, {"similarity", "accuracy", "activation"});
  }
  if (has_kind(s, "saliency_grid")) {
    h += "<h3 id=\"" + id + "-maps\">Saliency maps under randomization</h3>\n";
    h += figures_block(s, {"saliency_grid"});
  }
  if (has_kind(s, "csc")) {
    h += "<h3 id=\"" + id + "-csc\">Modified backpropagation: cosine similarity convergence (Sixt et al. 2020)</h3>\n";
    h += figures_block(s, {"csc"});
  }
  if (has_kind(s, "faithfulness")) {
    h += "<h3 id=\"" + id + "-faithfulness\">Faithfulness: pixel flipping</h3>\n";
    h += figures_block(s, {"faithfulness"});
  }
  if (!s.ranking.methods.empty()) {
    h += "<h3 id=\"" + id + "-ranking\">Ranking: randomization vs faithfulness (Binder et al. 2023)</h3>\n";
    h += "<p class=\"note\">Scores and ranks (1 = best) per criterion; bold: the best method of a column.</p>\n";
    h += ranking_tables(s.ranking);
    h += figures_block(s, {"ranking"});
  }
  for (const std::string& n : s.notes) h += "<p class=\"note\">" + esc(n) + "</p>\n";
  return h;
}

}  // namespace

std::string script_json(const nlohmann::json& j) {
  const std::string text = j.dump();
  std::string out;
  out.reserve(text.size());
  // '<', '>' and '&' only occur inside JSON strings, where \u escapes mean the same characters.
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

std::string report_html(const ReportPage& p) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // No request of any kind: everything is in this file. Vega compiles its expressions with
      // Function(), hence 'unsafe-eval'.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline' "
      "'unsafe-eval'; style-src 'unsafe-inline'; img-src data:\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n<title>sanity report \u00b7 " +
      esc(p.study_dir) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<header>\n";
  h += "<h1>Sanity checks for saliency maps</h1>\n<p class=\"lead\">Study <code>" + esc(p.study_dir) + "</code> \u00b7 " +
       std::to_string(p.runs.size()) + (p.runs.size() == 1 ? " run" : " runs") + " \u00b7 report generated " +
       esc(p.generated) + " by sanity " + esc(SANITY_VERSION) + "</p>\n<nav><ul>\n";
  h += "<li><a href=\"#scorecard\">Scorecard: verdicts with confidence intervals</a></li>\n";
  for (const RunSection& s : p.runs)
    h += "<li><a href=\"#run" + std::to_string(s.run.id) + "\">Run " + std::to_string(s.run.id) + ": " +
         esc(run_label(s.run)) + "</a></li>\n";
  h += "<li><a href=\"#options\">Options and versions</a></li>\n</ul></nav>\n</header>\n<main>\n";
  h += "<section id=\"scorecard\">\n<h2>Scorecard: which methods pass which check, and how sure we are</h2>\n" +
       verdict_rule_html(p.rule);
  for (const RunSection& s : p.runs)
    h += scorecard_html(s.scorecard, "Run " + std::to_string(s.run.id) + ": " + run_label(s.run));
  h += "</section>\n";
  h += "<p>Do the explanations depend on the model and the data they explain? <b>Randomization checks</b> compare "
       "each method's explanation of the trained model with its explanation of a model whose weights (or training "
       "labels) were randomized: a method that passes produces different maps. <b>CSC</b> tests whether a modified "
       "backpropagation rule still carries information from the upper layers. <b>Faithfulness</b> measures whether "
       "the regions a method highlights matter to the model's output. The <b>ranking</b> sets the two kinds of "
       "evaluation side by side. Each figure says how to read it; hover a chart for its numbers.</p>\n";
  for (const RunSection& s : p.runs) h += run_section(s);
  h += options_section(p);
  h += "</main>\n<footer>Self-contained: this file needs no network and no other file (the PNG/SVG links point to "
       "the figures folder next to it). Charts drawn with";
  for (const auto& [package, version] : p.versions) h += " " + esc(package) + " " + esc(version);
  h += ", inlined below.</footer>\n";
  for (const auto& [package, code] : p.scripts) {
    // A literal "</script" inside the code would end the element early; "<\/script" means the same in JS.
    std::string safe;
    size_t from = 0, at;
    while ((at = code.find("</script", from)) != std::string::npos) {
      safe.append(code, from, at - from).append("<\\/script");
      from = at + 8;
    }
    safe.append(code, from, std::string::npos);
    h += "<script data-package=\"" + esc(package) + "\">\n" + safe + "\n</script>\n";
  }
  h += "<script>" + std::string(kBoot) + "</script>\n</body>\n</html>\n";
  return h;
}

}  // namespace sanity::report
