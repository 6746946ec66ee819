// Cosine similarity convergence per layer per method (Sixt et al. 2020, their Fig. 4 and 5).
#include <cmath>
#include <map>

#include "core/error.h"
#include "report/chart_style.h"
#include "report/figures.h"
#include "study/checks/check.h"

using nlohmann::json;

namespace sanity::report {

namespace {

// Layers are ordered by depth below the injection layer, which the runner stores as the stage.
struct CscDepths {
  std::map<std::string, int64_t> depth_of;
  std::vector<std::string> layers;  // from the injection layer down
};

// method -> layer -> metric (csc_median, csc_q1, ...) -> value
using CscStats = std::map<std::string, std::map<std::string, std::map<std::string, double>>>;

// Throws unless every summary names its layer and each layer has one depth and each depth one layer.
CscDepths csc_depths(const RunContext& c, const std::vector<ResultSummary>& sums) {
  std::map<int64_t, std::string> layer_at;
  CscDepths out;
  for (const ResultSummary& s : sums) {
    if (s.layer.empty() || s.stage < 0)
      throw InputError("'" + c.study.store().path() + "': run " + std::to_string(c.run.id) + " check 'csc' metric '" +
                       s.metric + "': needs a layer name and stage = the layer's depth (>= 0)");
    const std::string where =
        "'" + c.study.store().path() + "': run " + std::to_string(c.run.id) + " check 'csc': ";
    const auto d = out.depth_of.emplace(s.layer, s.stage).first;
    const auto l = layer_at.emplace(s.stage, s.layer).first;
    if (d->second != s.stage)
      throw InputError(where + "layer '" + s.layer + "' is stored at depths " + std::to_string(d->second) + " and " +
                       std::to_string(s.stage) + " (stage must be the layer's depth below the injection layer)");
    if (l->second != s.layer)
      throw InputError(where + "depth " + std::to_string(s.stage) + " holds layers '" + l->second + "' and '" +
                       s.layer + "' (stage must be the layer's depth below the injection layer)");
  }
  for (const auto& [depth, layer] : layer_at) out.layers.push_back(layer);
  return out;
}

CscStats csc_stats(const std::vector<ResultSummary>& sums) {
  CscStats stats;
  for (const ResultSummary& s : sums)
    if (s.metric != "csc_baseline" && !s.method.empty()) stats[s.method][s.layer][s.metric] = s.summary.mean;
  return stats;
}

double csc_stat(const std::map<std::string, double>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::nan("") : it->second;
}

json csc_rows(const CscStats& stats, const CscDepths& d) {
  json values = json::array();
  for (const auto& [method, by_layer] : stats)
    for (const auto& [layer, m] : by_layer)
      values.push_back({{"method", method}, {"layer", layer}, {"depth", d.depth_of.at(layer)},
                        {"median", number(csc_stat(m, "csc_median"))}, {"q1", number(csc_stat(m, "csc_q1"))},
                        {"q3", number(csc_stat(m, "csc_q3"))}, {"ci_low", number(csc_stat(m, "csc_median_low"))},
                        {"ci_high", number(csc_stat(m, "csc_median_high"))}});
  return values;
}

// The baseline of a layer is the mean over the methods that stored one.
json csc_baseline_rows(const std::vector<ResultSummary>& sums, const CscDepths& d) {
  std::map<std::string, std::pair<double, int>> baseline;
  for (const ResultSummary& s : sums)
    if (s.metric == "csc_baseline") {
      auto& [sum, n] = baseline[s.layer];
      if (std::isfinite(s.summary.mean)) sum += s.summary.mean, n++;
    }
  json values = json::array();
  for (const auto& [layer, sn] : baseline)
    values.push_back({{"layer", layer}, {"depth", d.depth_of.at(layer)},
                      {"baseline", number(sn.second ? sn.first / sn.second : std::nan(""))}});
  return values;
}

const char* const kCscTitle = "CSC (median |cos|)";

json csc_band_layer(const json& methods, const json& x, const json& color) {
  return {{"transform", json::array({{{"filter", {{"field", "method"}, {"oneOf", methods}}}}})},
          {"mark", {{"type", "area"}, {"opacity", 0.15}}},
          {"encoding", {{"x", x}, {"y", {{"field", "q1"}, {"type", "quantitative"}, {"title", kCscTitle},
                                          {"scale", {{"domain", {0, 1}}}}}},
                        {"y2", {{"field", "q3"}}}, {"color", color}}}};
}

json csc_median_layer(const json& methods, const json& x, const json& color) {
  return {{"transform", json::array({{{"filter", {{"field", "method"}, {"oneOf", methods}}}}})},
          {"mark", {{"type", "line"}, {"point", true}}},
          {"encoding", {{"x", x}, {"y", {{"field", "median"}, {"type", "quantitative"}, {"title", kCscTitle}}},
                        {"color", color},
                        {"tooltip", json::array({{{"field", "method"}}, {{"field", "layer"}},
                                                 {{"field", "median"}, {"format", ".3f"}},
                                                 {{"field", "ci_low"}, {"title", "median CI low"}, {"format", ".3f"}},
                                                 {{"field", "ci_high"}, {"title", "median CI high"}, {"format", ".3f"}},
                                                 {{"field", "q1"}, {"format", ".3f"}},
                                                 {{"field", "q3"}, {"format", ".3f"}}})}}}};
}

// Its own data: the same dashed line in every panel.
json csc_baseline_layer(const json& baseline_values, const json& x) {
  return {{"data", {{"values", baseline_values}}},
          {"mark", {{"type", "line"}, {"strokeDash", {5, 4}}, {"color", "#888"}, {"point", {{"color", "#888"}}}}},
          {"encoding", {{"x", x}, {"y", {{"field", "baseline"}, {"type", "quantitative"}}}}}};
}

json csc_panel(const Panel& p, const RunContext& c, size_t layer_count, const json& x, const json& baseline_values) {
  const json color = panel_color(p, c.methods);
  json methods = json::array();
  for (const std::string& m : p.methods) methods.push_back(m);
  json panel = {{"title", p.title},
                {"width", std::max<size_t>(240, 48 * layer_count)},
                {"height", 190},
                {"layer", json::array({csc_band_layer(methods, x, color), csc_median_layer(methods, x, color)})}};
  if (!baseline_values.empty()) panel["layer"].push_back(csc_baseline_layer(baseline_values, x));
  return panel;
}

}  // namespace

std::vector<Figure> csc_figures(const RunContext& c) {
  const std::vector<ResultSummary> sums = c.study.store().summaries(run_filter(c.run.id, kCscCheck));
  if (sums.empty()) return {};
  const CscDepths depths = csc_depths(c, sums);
  const CscStats stats = csc_stats(sums);
  const json baseline_values = csc_baseline_rows(sums, depths);
  std::vector<std::string> present;
  for (const std::string& m : c.methods)
    if (stats.count(m)) present.push_back(m);

  Figure f;
  f.kind = "csc";
  f.name = c.prefix + "csc";
  f.title = "Cosine similarity convergence (CSC)";
  f.guide =
      "Sixt et al. 2020: random vectors are injected at the top layer and propagated down with each method's "
      "rules; CSC is the median |cosine| between the relevance vectors they produce at each lower layer (band: "
      "quartiles; the tooltip gives the median's confidence interval over the images), one panel per family of "
      "methods. Near 1, every injected vector gives the same relevance: the backward pass has collapsed to rank "
      "one and the explanation no longer depends on the layers above (z+, LRP-\u03b1\u03b2, Guided Backprop in the "
      "paper). A method that keeps that information stays near the dashed grey baseline, the |cosine| of independent "
      "random vectors of the same size (the gradient does).";
  f.spec = base_spec(f.title, run_label(c.run) + " \u00b7 median and quartiles; dashed: random-vector baseline");
  f.spec["data"] = {{"values", csc_rows(stats, depths)}};
  const json x = stage_x(depths.layers, "layer, from the injection layer down to the input", "layer");
  json panels = json::array();
  for (const Panel& p : family_panels(present, c.methods))
    panels.push_back(csc_panel(p, c, depths.layers.size(), x, baseline_values));
  concat_panels(f.spec, std::move(panels));
  return {f};
}

}  // namespace sanity::report
