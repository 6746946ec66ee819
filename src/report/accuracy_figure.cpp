// Model accuracy at each randomization stage (the workshop paper's Fig. 1 reports top-1 per stage).
#include <map>

#include "report/chart_style.h"
#include "report/checks.h"
#include "report/figures.h"

using nlohmann::json;

namespace sanity::report {

namespace {

// The accuracy of one check per stage and its Wilson interval (a store written before intervals
// were stored lacks them: drawn without).
struct AccuracyCurve {
  json values = json::array();
  std::vector<std::string> labels;
  bool intervals = false;
};

AccuracyCurve accuracy_curve(const RunContext& c, const CheckFigure& check) {
  AccuracyCurve out;
  const StageAxis& axis = c.study.stages(c.run.id, check.name);
  std::map<int64_t, std::map<std::string, double>> at;
  for (const ResultSummary& s : c.study.store().summaries(run_filter(c.run.id, check.name, std::nullopt, "")))
    if (s.metric.rfind("accuracy", 0) == 0 && s.layer.empty()) at[s.stage][s.metric] = s.summary.mean;
  for (const auto& [stage, m] : at) {
    if (!m.count("accuracy")) continue;
    json row = {{"stage", stage}, {"stage_label", axis.label(stage)}, {"accuracy", number(m.at("accuracy"))}};
    if (m.count("accuracy_low") && m.count("accuracy_high")) {
      row["low"] = number(m.at("accuracy_low"));
      row["high"] = number(m.at("accuracy_high"));
      out.intervals = true;
    }
    out.values.push_back(row);
    out.labels.push_back(axis.label(stage));
  }
  return out;
}

// The interval's error bars (when stored) under the accuracy line.
json accuracy_layers(const AccuracyCurve& curve, const std::string& x_title) {
  json tooltip = json::array({{{"field", "stage_label"}, {"title", "stage"}}, {{"field", "accuracy"}, {"format", ".2%"}}});
  if (curve.intervals) {
    tooltip.push_back({{"field", "low"}, {"title", "95 % CI low"}, {"format", ".2%"}});
    tooltip.push_back({{"field", "high"}, {"title", "95 % CI high"}, {"format", ".2%"}});
  }
  json line = {{"mark", {{"type", "line"}, {"point", true}, {"color", "#333"}}},
               {"encoding",
                {{"x", stage_x(curve.labels, x_title)},
                 {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"title", "test accuracy"},
                        {"scale", {{"domain", {0, 1}}}}, {"axis", {{"format", ".0%"}}}}},
                 {"tooltip", tooltip}}}};
  json layers = json::array();
  if (curve.intervals)
    layers.push_back({{"mark", {{"type", "errorbar"}, {"color", "#333"}, {"ticks", true}}},
                      {"encoding",
                       {{"x", stage_x(curve.labels, x_title)},
                        {"y", {{"field", "low"}, {"type", "quantitative"}}},
                        {"y2", {{"field", "high"}}}}}});
  layers.push_back(line);
  return layers;
}

}  // namespace

std::vector<Figure> accuracy_figures(const RunContext& c) {
  std::vector<Figure> out;
  for (const CheckFigure& check : randomization_checks()) {
    const AccuracyCurve curve = accuracy_curve(c, check);
    if (curve.values.empty()) continue;

    Figure f;
    f.kind = "accuracy";
    f.name = c.prefix + "accuracy_" + check.name;
    f.title = "Model accuracy \u00b7 " + check.title;
    f.guide =
        "Test accuracy of the model at each stage. It should drop to chance (1 / number of classes) once the top "
        "layers are randomized (in the data test: for the model trained on permuted labels). That confirms the "
        "randomization destroyed what the model learned, so an explanation that stays the same cannot be explaining "
        "the learned function. Bars: the 95 % Wilson interval of the accuracy over the images it was measured on.";
    f.spec = base_spec(f.title, run_label(c.run));
    f.spec["data"] = {{"values", curve.values}};
    f.spec["width"] = std::max<size_t>(260, 56 * curve.labels.size());
    f.spec["height"] = 200;
    f.spec["layer"] = accuracy_layers(curve, check.x_title);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sanity::report
