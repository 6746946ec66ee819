// Activation scale under cascading randomization (Binder et al. 2023): why explanations below the
// randomized layers can only change so much.
#include <algorithm>
#include <map>

#include "report/chart_style.h"
#include "report/checks.h"
#include "report/figures.h"
#include "study/checks/check.h"

using nlohmann::json;

namespace sanity::report {

std::vector<Figure> activation_figures(const RunContext& c) {
  static const std::vector<std::pair<std::string, std::string>> quantities = {
      {"activation_norm_ratio", "norm ratio to the trained model"},
      {"activation_rank_corr", "rank correlation with the trained model"}};
  const StageAxis& axis = c.study.stages(c.run.id, kCascadingCheck);
  json values = json::array();
  std::vector<std::string> layers;  // in network order where the stage labels name them
  std::map<int64_t, bool> stages;
  for (const auto& [metric, title] : quantities) {
    for (const ResultSummary& s :
         c.study.store().summaries(run_filter(c.run.id, kCascadingCheck, metric, ""))) {
      if (s.layer.empty()) continue;
      values.push_back({{"quantity", title}, {"layer", s.layer}, {"stage", s.stage},
                        {"stage_label", axis.label(s.stage)}, {"value", number(s.summary.mean)}});
      stages[s.stage] = true;
      if (std::find(layers.begin(), layers.end(), s.layer) == layers.end()) layers.push_back(s.layer);
    }
  }
  if (values.empty()) return {};
  // Layers in the order the cascading stages name them (output to input); others after, by name.
  auto position = [&](const std::string& layer) {
    for (size_t i = 0; i < axis.labels.size(); i++)
      if (axis.labels[i] == layer) return i;
    return axis.labels.size();
  };
  std::stable_sort(layers.begin(), layers.end(), [&](const std::string& a, const std::string& b) {
    return position(a) != position(b) ? position(a) < position(b) : a < b;
  });
  std::vector<std::string> labels;
  for (const auto& [stage, _] : stages) labels.push_back(axis.label(stage));

  Figure f;
  f.kind = "activation";
  f.name = c.prefix + "activation_scale_cascading";
  f.title = "Activation scale under cascading randomization";
  f.guide =
      "Binder et al. 2023: randomizing the top layers leaves the forward activations of the layers below them "
      "largely intact. Left: each layer's activation norm relative to the trained model's (1 = unchanged). Right: "
      "rank correlation of the layer's activations with the trained model's. Values near 1 mean the channels that "
      "were large stay large, so any explanation built on them can change only so much: a similarity that stays "
      "high in the cascading figure can reflect this, not only a failing method.";
  f.spec = base_spec(f.title, run_label(c.run) + " \u00b7 one line per layer");
  f.spec["data"] = {{"values", values}};
  f.spec["facet"] = {{"column", {{"field", "quantity"}, {"type", "nominal"}, {"title", nullptr},
                                 {"sort", {quantities[0].second, quantities[1].second}}}}};
  f.spec["resolve"] = {{"scale", {{"y", "independent"}}}};
  f.spec["spec"] = {
      {"width", std::max<size_t>(240, 48 * labels.size())},
      {"height", 200},
      {"mark", {{"type", "line"}, {"point", true}}},
      {"encoding",
       {{"x", stage_x(labels, "layers randomized, from the output down to")},
        {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", nullptr}}},
        {"color", {{"field", "layer"}, {"type", "nominal"}, {"sort", layers}, {"title", "layer"},
                   {"scale", {{"scheme", "viridis"}}}}},
        {"tooltip", json::array({{{"field", "layer"}}, {{"field", "stage_label"}, {"title", "stage"}},
                                 {{"field", "value"}, {"format", ".3f"}}})}}}};
  return {f};
}

}  // namespace sanity::report
