#include "report/chart_style.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "metrics/registry.h"
#include "report/method_family.h"

namespace sanity::report {

nlohmann::json base_spec(const std::string& title, const std::string& subtitle) {
  const std::string font = "DejaVu Sans, Helvetica, Arial, sans-serif";
  return {
      {"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
      {"title", {{"text", title}, {"subtitle", subtitle}}},
      {"background", "white"},
      {"padding", 8},
      {"config",
       {{"font", font},
        {"view", {{"stroke", nullptr}}},
        {"axis",
         {{"labelFontSize", 11}, {"titleFontSize", 12}, {"titleFontWeight", "normal"}, {"gridColor", "#e6e6e6"},
          {"domainColor", "#555"}, {"tickColor", "#555"}, {"labelColor", "#222"}, {"titleColor", "#222"}}},
        {"legend", {{"labelFontSize", 11}, {"titleFontSize", 11}, {"labelLimit", 380}, {"symbolStrokeWidth", 2}}},
        {"header", {{"labelFontSize", 12}, {"titleFontSize", 12}}},
        {"title", {{"fontSize", 13}, {"anchor", "start"}, {"subtitleFontSize", 11}, {"subtitleColor", "#555"}}},
        {"line", {{"strokeWidth", 2}}},
        {"point", {{"size", 40}, {"filled", true}}}}},
  };
}

namespace {

// Okabe-Ito (colour-blind safe) without its yellow, then Tableau's darker tones.
const std::vector<std::string>& palette() {
  static const std::vector<std::string> p = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                             "#000000", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD"};
  return p;
}

// The run's methods of one family, in the run's order.
std::vector<std::string> family_members(const std::string& family, const std::vector<std::string>& run_methods) {
  std::vector<std::string> out;
  for (const std::string& m : run_methods)
    if (method_family(m) == family) out.push_back(m);
  return out;
}

}  // namespace

std::vector<Panel> family_panels(const std::vector<std::string>& methods, const std::vector<std::string>& run_methods) {
  const size_t k = palette().size();
  std::vector<Panel> out;
  for (const std::string& family : method_families()) {
    const std::vector<std::string> members = family_members(family, run_methods);
    // A family larger than the palette is cut into panels of k, each method in the panel of its place.
    std::map<size_t, Panel> chunks;
    for (size_t i = 0; i < members.size(); ++i)
      if (std::find(methods.begin(), methods.end(), members[i]) != methods.end()) chunks[i / k].methods.push_back(members[i]);
    for (auto& [chunk, panel] : chunks) {
      panel.title = family + (members.size() > k ? " (" + std::to_string(chunk + 1) + ")" : "");
      out.push_back(std::move(panel));
    }
  }
  return out;
}

nlohmann::json panel_color(const Panel& panel, const std::vector<std::string>& run_methods,
                           const std::vector<std::string>& extra) {
  nlohmann::json domain = nlohmann::json::array(), range = nlohmann::json::array();
  for (const std::string& m : panel.methods) {
    const std::vector<std::string> members = family_members(method_family(m), run_methods);
    const size_t at = static_cast<size_t>(std::find(members.begin(), members.end(), m) - members.begin());
    domain.push_back(m);
    range.push_back(palette()[at % palette().size()]);
  }
  static const std::vector<std::string> greys = {"#555555", "#aaaaaa", "#cccccc"};
  for (size_t i = 0; i < extra.size(); ++i) {
    domain.push_back(extra[i]);
    range.push_back(greys[std::min(i, greys.size() - 1)]);
  }
  return {{"field", "method"},
          {"type", "nominal"},
          {"title", nullptr},
          {"scale", {{"domain", domain}, {"range", range}}},
          {"legend", {{"orient", "right"}, {"symbolOpacity", 1}, {"labelLimit", 0}}}};
}

void concat_panels(nlohmann::json& spec, nlohmann::json panels, int columns) {
  spec["concat"] = std::move(panels);
  spec["columns"] = columns;
  spec["spacing"] = 28;
  spec["resolve"] = {{"scale", {{"color", "independent"}}}, {"legend", {{"color", "independent"}}}};
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    if (keep)
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.size() > 60) out.resize(60);
  return out.empty() ? "x" : out;
}

Direction metric_direction(const std::string& metric_spec) {
  try {
    if (const MetricInfo* info = MetricRegistry::instance().find(parse_method_spec(metric_spec).name))
      return info->direction;
  } catch (const std::exception&) {
    // Not a metric spec the registry parses (a quantity name): treat as a similarity.
  }
  return Direction::HigherIsMoreSimilar;
}

}  // namespace sanity::report

namespace sanity::report {

nlohmann::json stage_x(const std::vector<std::string>& labels, const std::string& title, const std::string& field) {
  size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  return {{"field", field},
          {"type", "ordinal"},
          {"sort", labels},
          {"title", title},
          {"axis", {{"labelAngle", longest > 6 ? -35 : 0}, {"labelLimit", 160}, {"grid", true}}}};
}

nlohmann::json reference_rule(double value) {
  return {{"data", {{"values", nlohmann::json::array({nlohmann::json::object()})}}},
          {"mark", {{"type", "rule"}, {"strokeDash", {4, 3}}, {"color", "#999"}, {"strokeWidth", 1}}},
          {"encoding", {{"y", {{"datum", value}, {"type", "quantitative"}}}}}};
}

}  // namespace sanity::report
