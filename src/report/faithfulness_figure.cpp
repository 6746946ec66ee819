// Pixel-flipping curves (Samek et al. 2017): the model's output as regions are perturbed in the
// order of each method's attribution, most relevant first (MoRF) and least relevant first (LeRF).
#include "report/chart_style.h"
#include "report/figures.h"

using nlohmann::json;

namespace sanity::report {

std::vector<Figure> faithfulness_figures(const RunContext& c) {
  struct Variant {
    const char* suffix;
    const char* y_title;
  };
  static const Variant variants[] = {{"prob", "target class probability"}, {"logit", "target logit"}};
  std::vector<Figure> out;
  for (const Variant& v : variants) {
    json values = json::array();
    for (const char* order : {"morf", "lerf"}) {
      const std::string metric = std::string(order) + "_" + v.suffix;
      for (const ResultSummary& s :
           c.study.store().summaries(run_filter(c.run.id, "pixel_flipping", metric))) {
        if (s.method.empty() || s.step < 0) continue;
        values.push_back({{"method", s.method}, {"order", std::string(order) == "morf" ? "MoRF" : "LeRF"},
                          {"step", s.step}, {"mean", number(s.summary.mean)}, {"std", number(s.summary.std)},
                          {"lo", number(s.summary.mean - s.summary.std)}, {"hi", number(s.summary.mean + s.summary.std)},
                          {"n", s.summary.count}});
      }
    }
    if (values.empty()) continue;

    Figure f;
    f.kind = "faithfulness";
    f.name = c.prefix + "pixel_flipping_" + v.suffix;
    f.title = std::string("Pixel flipping \u00b7 ") + v.y_title;
    f.guide =
        "Samek et al. 2017: image regions are replaced in the order of the method's attribution (mean per pixel; "
        "by default |map| for sensitivity maps such as the gradient and Guided Backprop, whose sign is a direction, "
        "and the signed map for relevance maps such as LRP and IG), most relevant first "
        "(MoRF, left) or least relevant first (LeRF, right), and the model's output for the explained class is "
        "recorded after each step (line: mean over the images; band: \u00b11 standard deviation). A faithful method "
        "makes the MoRF curve fall steeply and keeps the LeRF curve high; AOPC, the mean drop along the curve, "
        "summarizes each curve in the ranking table.";
    f.spec = base_spec(f.title, run_label(c.run) + " \u00b7 mean \u00b1 1 std over the images");
    f.spec["data"] = {{"values", values}};
    f.spec["facet"] = {{"column", {{"field", "order"}, {"type", "nominal"}, {"title", nullptr},
                                   {"sort", {"MoRF", "LeRF"}}}}};
    const json x = {{"field", "step"}, {"type", "quantitative"}, {"title", "perturbation step"}};
    const json color = method_color(c.methods);
    f.spec["spec"] = {
        {"width", 260},
        {"height", 220},
        {"layer",
         json::array({{{"mark", {{"type", "area"}, {"opacity", 0.12}}},
                       {"encoding", {{"x", x}, {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", v.y_title}}},
                                     {"y2", {{"field", "hi"}}}, {"color", color}}}},
                      {{"mark", {{"type", "line"}}},
                       {"encoding", {{"x", x}, {"y", {{"field", "mean"}, {"type", "quantitative"}, {"title", v.y_title}}},
                                     {"color", color},
                                     {"tooltip", json::array({{{"field", "method"}}, {{"field", "step"}},
                                                              {{"field", "mean"}, {"format", ".3f"}},
                                                              {{"field", "std"}, {"format", ".3f"}}})}}}}})}};
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sanity::report
