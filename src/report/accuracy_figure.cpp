// Model accuracy at each randomization stage (the workshop paper's Fig. 1 reports top-1 per stage).
#include "report/chart_style.h"
#include "report/checks.h"
#include "report/figures.h"

using nlohmann::json;

namespace sanity::report {

std::vector<Figure> accuracy_figures(const RunContext& c) {
  std::vector<Figure> out;
  for (const CheckInfo& check : randomization_checks()) {
    json values = json::array();
    std::vector<std::string> labels;
    const StageAxis& axis = c.study.stages(c.run.id, check.name);
    for (const ResultSummary& s :
         c.study.store().summaries(run_filter(c.run.id, check.name, "accuracy", ""))) {
      values.push_back({{"stage", s.stage}, {"stage_label", axis.label(s.stage)}, {"accuracy", number(s.summary.mean)}});
      labels.push_back(axis.label(s.stage));  // summaries come in stage order
    }
    if (values.empty()) continue;

    Figure f;
    f.kind = "accuracy";
    f.name = c.prefix + "accuracy_" + check.name;
    f.title = "Model accuracy \u00b7 " + check.title;
    f.guide =
        "Test accuracy of the model at each stage. It should drop to chance (1 / number of classes) once the top "
        "layers are randomized (in the data test: for the model trained on permuted labels). That confirms the "
        "randomization destroyed what the model learned, so an explanation that stays the same cannot be explaining "
        "the learned function.";
    f.spec = base_spec(f.title, run_label(c.run));
    f.spec["data"] = {{"values", values}};
    f.spec["width"] = std::max<size_t>(260, 56 * labels.size());
    f.spec["height"] = 200;
    f.spec["mark"] = {{"type", "line"}, {"point", true}, {"color", "#333"}};
    f.spec["encoding"] = {
        {"x", stage_x(labels, check.x_title)},
        {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"title", "test accuracy"},
               {"scale", {{"domain", {0, 1}}}}, {"axis", {{"format", ".0%"}}}}},
        {"tooltip", json::array({{{"field", "stage_label"}, {"title", "stage"}},
                                 {{"field", "accuracy"}, {"format", ".2%"}}})}};
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sanity::report
