// Similarity between original and randomized explanations per stage: the papers' Fig. 2 and 3.
#include <map>
#include <set>

#include "report/chart_style.h"
#include "report/checks.h"
#include "report/figures.h"

using nlohmann::json;

namespace sanity::report {

namespace {

json tooltip() {
  return json::array({{{"field", "method"}},
                      {{"field", "stage_label"}, {"title", "stage"}},
                      {{"field", "mean"}, {"format", ".3f"}},
                      {{"field", "std"}, {"format", ".3f"}},
                      {{"field", "n"}, {"title", "images"}}});
}

// Lines with a +-1 std band over the stages.
void line_chart(json& spec, const RunContext& c, const std::vector<std::string>& labels, const CheckInfo& check,
                const std::string& metric) {
  const json x = stage_x(labels, check.x_title);
  const json color = method_color(c.methods);
  spec["width"] = std::max<size_t>(300, 56 * labels.size());
  spec["height"] = 240;
  spec["layer"] = json::array({
      reference_rule(0),
      {{"mark", {{"type", "area"}, {"opacity", 0.15}}},
       {"encoding", {{"x", x}, {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", metric}}},
                     {"y2", {{"field", "hi"}}}, {"color", color}}}},
      {{"mark", {{"type", "line"}, {"point", true}}},
       {"encoding", {{"x", x}, {"y", {{"field", "mean"}, {"type", "quantitative"}, {"title", metric}}},
                     {"color", color}, {"tooltip", tooltip()}}}},
  });
}

// Bars with +-1 std error bars, for a check measured at one stage (random logit).
void bar_chart(json& spec, const RunContext& c, const std::string& metric) {
  const json x = {{"field", "method"}, {"type", "nominal"}, {"sort", c.methods}, {"title", nullptr},
                  {"axis", {{"labelAngle", -30}, {"labelLimit", 220}}}};
  spec["width"] = std::max<size_t>(200, 48 * c.methods.size());
  spec["height"] = 220;
  spec["layer"] = json::array({
      {{"mark", {{"type", "bar"}}},
       {"encoding", {{"x", x}, {"y", {{"field", "mean"}, {"type", "quantitative"}, {"title", metric}}},
                     {"color", method_color(c.methods)}, {"tooltip", tooltip()}}}},
      {{"mark", {{"type", "rule"}, {"color", "#333"}}},
       {"encoding", {{"x", x}, {"y", {{"field", "lo"}, {"type", "quantitative"}}}, {"y2", {{"field", "hi"}}}}}},
      reference_rule(0),
  });
}

}  // namespace

std::vector<Figure> similarity_figures(const RunContext& c) {
  std::vector<Figure> out;
  for (const CheckInfo& check : randomization_checks()) {
    const std::vector<ResultSummary> sums = c.study.store().summaries(run_filter(c.run.id, check.name));
    std::map<std::string, std::vector<const ResultSummary*>> by_metric;
    for (const ResultSummary& s : sums)
      if (!s.method.empty() && s.layer.empty() && s.step == -1) by_metric[s.metric].push_back(&s);
    const StageAxis& axis = c.study.stages(c.run.id, check.name);

    for (const auto& [metric, rows] : by_metric) {
      json values = json::array();
      std::set<int64_t> stages;
      int64_t images = 0;
      for (const ResultSummary* r : rows) {
        const Summary& s = r->summary;
        stages.insert(r->stage);
        images = std::max(images, s.count);
        values.push_back({{"method", r->method}, {"stage", r->stage}, {"stage_label", axis.label(r->stage)},
                          {"mean", number(s.mean)}, {"std", number(s.std)}, {"lo", number(s.mean - s.std)},
                          {"hi", number(s.mean + s.std)}, {"n", s.count}});
      }
      std::vector<std::string> labels;
      for (int64_t stage : stages) labels.push_back(axis.label(stage));

      Figure f;
      f.kind = "similarity";
      f.name = c.prefix + "similarity_" + check.name + "_" + slug(metric);
      f.title = check.title + " \u00b7 " + metric;
      f.guide = check.guide;
      if (metric_direction(metric) == Direction::LowerIsMoreSimilar)
        f.guide += " For " + metric + " lower means more similar: here a method that depends on the model rises.";
      f.spec = base_spec(f.title, run_label(c.run) + " \u00b7 mean \u00b1 1 std over " + std::to_string(images) + " images");
      f.spec["data"] = {{"values", values}};
      if (stages.size() >= 2)
        line_chart(f.spec, c, labels, check, metric);
      else
        bar_chart(f.spec, c, metric);
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace sanity::report
