// Similarity between original and randomized explanations per stage: the papers' Fig. 2 and 3.
// With 20+ methods one panel of lines cannot be read (colours repeat, the legend runs off), so the
// lines are split into one panel per method family, each with its own colours and legend; the edge
// detector and the noise baseline, against which the verdicts are judged, are drawn in grey in every
// panel.
#include <map>
#include <set>

#include "report/chart_style.h"
#include "report/checks.h"
#include "report/figures.h"
#include "report/method_family.h"
#include "report/verdicts.h"

using nlohmann::json;

namespace sanity::report {

namespace {

json tooltip() {
  return json::array({{{"field", "method"}},
                      {{"field", "stage_label"}, {"title", "stage"}},
                      {{"field", "mean"}, {"format", ".3f"}},
                      {{"field", "ci_low"}, {"title", "CI low"}, {"format", ".3f"}},
                      {{"field", "ci_high"}, {"title", "CI high"}, {"format", ".3f"}},
                      {{"field", "std"}, {"format", ".3f"}},
                      {{"field", "n"}, {"title", "images"}}});
}

// The methods drawn in grey in every panel but the baselines': the edge detector and the noise baseline.
std::vector<std::string> reference_methods(const std::vector<std::string>& methods) {
  std::vector<std::string> out;
  for (const char* name : {"sobel", "noise"})
    if (const std::string m = method_named(methods, name); !m.empty()) out.push_back(m);
  return out;
}

json one_of(const std::vector<std::string>& methods) {
  json list = json::array();
  for (const std::string& m : methods) list.push_back(m);
  return {{"filter", {{"field", "method"}, {"oneOf", list}}}};
}

// One panel per family: band and line per method, the references in grey (dashed) in the others.
void line_chart(json& spec, const RunContext& c, const std::vector<std::string>& present,
                const std::vector<std::string>& labels, const CheckFigure& check, const std::string& metric) {
  const json x = stage_x(labels, check.x_title);
  const std::vector<std::string> refs = reference_methods(present);
  json panels = json::array();
  for (const Panel& p : family_panels(present, c.methods)) {
    std::vector<std::string> shown = p.methods, extra;
    if (method_family(p.methods.front()) != "baselines")
      for (const std::string& r : refs) shown.push_back(r), extra.push_back(r);
    const json color = panel_color(p, c.methods, extra);
    json dash = {{"condition", {{"test", "datum.family == 'baselines'"}, {"value", json::array({5, 3})}}},
                 {"value", json::array({1, 0})}};
    panels.push_back(
        {{"title", p.title},
         {"width", std::max<size_t>(240, 48 * labels.size())},
         {"height", 190},
         {"transform", json::array({one_of(shown)})},
         {"layer", json::array({
                       reference_rule(0),
                       {{"mark", {{"type", "area"}, {"opacity", 0.15}}},
                        {"transform", json::array({one_of(p.methods)})},
                        {"encoding", {{"x", x}, {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", metric}}},
                                      {"y2", {{"field", "hi"}}}, {"color", color}}}},
                       {{"mark", {{"type", "line"}, {"point", true}}},
                        {"encoding", {{"x", x}, {"y", {{"field", "mean"}, {"type", "quantitative"}, {"title", metric}}},
                                      {"color", color}, {"strokeDash", dash}, {"tooltip", tooltip()}}}},
                   })}});
  }
  concat_panels(spec, std::move(panels));
}

// Bars with error bars (the band), for a check measured at one stage (random logit). The methods are
// named on the x axis, so the colours only group them by family.
void bar_chart(json& spec, const RunContext& c, const std::string& metric) {
  const json x = {{"field", "method"}, {"type", "nominal"}, {"sort", c.methods}, {"title", nullptr},
                  {"axis", {{"labelAngle", -30}, {"labelLimit", 0}}}};
  json families = json::array();
  for (const std::string& f : method_families()) families.push_back(f);
  spec["width"] = std::max<size_t>(200, 48 * c.methods.size());
  spec["height"] = 220;
  spec["layer"] = json::array({
      {{"mark", {{"type", "bar"}}},
       {"encoding", {{"x", x}, {"y", {{"field", "mean"}, {"type", "quantitative"}, {"title", metric}}},
                     {"color", {{"field", "family"}, {"type", "nominal"}, {"title", "family"},
                                {"scale", {{"domain", families}, {"scheme", "tableau10"}}},
                                {"legend", {{"orient", "right"}, {"labelLimit", 0}}}}},
                     {"tooltip", tooltip()}}}},
      {{"mark", {{"type", "rule"}, {"color", "#333"}}},
       {"encoding", {{"x", x}, {"y", {{"field", "lo"}, {"type", "quantitative"}}}, {"y2", {{"field", "hi"}}}}}},
      reference_rule(0),
  });
}

}  // namespace

std::vector<Figure> similarity_figures(const RunContext& c) {
  std::vector<Figure> out;
  for (const CheckFigure& check : randomization_checks()) {
    const std::vector<ResultSummary> sums = c.study.store().summaries(run_filter(c.run.id, check.name), &c.ci);
    std::map<std::string, std::vector<const ResultSummary*>> by_metric;
    for (const ResultSummary& s : sums)
      if (!s.method.empty() && s.layer.empty() && s.step == -1) by_metric[s.metric].push_back(&s);
    const StageAxis& axis = c.study.stages(c.run.id, check.name);

    for (const auto& [metric, rows] : by_metric) {
      json values = json::array();
      std::set<int64_t> stages;
      std::set<std::string> methods;
      int64_t images = 0;
      for (const ResultSummary* r : rows) {
        stages.insert(r->stage);
        methods.insert(r->method);
        images = std::max(images, r->summary.count);
        json row = band_row(r->summary, r->ci, c.bands);
        row["method"] = r->method;
        row["family"] = method_family(r->method);
        row["stage"] = r->stage;
        row["stage_label"] = axis.label(r->stage);
        values.push_back(std::move(row));
      }
      std::vector<std::string> labels, present;
      for (int64_t stage : stages) labels.push_back(axis.label(stage));
      for (const std::string& m : c.methods)
        if (methods.count(m)) present.push_back(m);

      Figure f;
      f.kind = "similarity";
      f.name = c.prefix + "similarity_" + check.name + "_" + slug(metric);
      f.title = check.title + " \u00b7 " + metric;
      f.guide = check.guide;
      if (metric_direction(metric) == Direction::LowerIsMoreSimilar)
        f.guide += " For " + metric + " lower means more similar: here a method that depends on the model rises.";
      f.guide += std::string(stages.size() >= 2 ? " Band" : " Error bar") + ": the " + band_words(c) + ".";
      if (stages.size() >= 2)
        f.guide += " One panel per family of methods; the edge detector (sobel, whose map ignores the model: 1 at every "
                   "stage) and the noise baseline are drawn dashed in grey in every panel, the references of the "
                   "verdicts in the scorecard.";
      f.spec = base_spec(f.title, run_label(c.run) + " \u00b7 mean and " + band_words(c) + ", " +
                                      std::to_string(images) + " images");
      f.spec["data"] = {{"values", values}};
      if (stages.size() >= 2)
        line_chart(f.spec, c, present, labels, check, metric);
      else
        bar_chart(f.spec, c, metric);
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace sanity::report
