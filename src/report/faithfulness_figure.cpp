// Pixel-flipping curves (Samek et al. 2017): the model's output as regions are perturbed in the
// order of each method's attribution, most relevant first (MoRF) and least relevant first (LeRF).
#include <string>
#include <vector>

#include "report/chart_style.h"
#include "faithfulness/record.h"
#include "report/figures.h"

using nlohmann::json;

namespace sanity::report {

namespace {

// What the curves measure: the target class's probability or its logit.
struct FlipVariant {
  const char* suffix;
  const char* y_title;
};

const std::string kNoiseReference = "noise baseline, MoRF";

// The MoRF and LeRF points of every method for one variant.
json pixel_flipping_rows(const RunContext& c, const FlipVariant& v) {
  json values = json::array();
  for (const char* order : {"morf", "lerf"}) {
    const std::string metric = std::string(order) + "_" + v.suffix;
    for (const ResultSummary& s : c.study.store().summaries(run_filter(c.run.id, kFaithfulnessCheck, metric), &c.ci)) {
      if (s.method.empty() || s.step < 0) continue;
      json row = band_row(s.summary, s.ci, c.bands);
      row["method"] = s.method;
      row["order"] = std::string(order) == "morf" ? "MoRF" : "LeRF";
      row["step"] = s.step;
      values.push_back(std::move(row));
    }
  }
  return values;
}

// One small panel per method (21 lines in one panel overlap beyond reading), in the run's order.
std::vector<std::string> faithfulness_panels(const RunContext& c, const json& values) {
  std::vector<std::string> panels;
  for (const std::string& m : c.methods)
    for (const json& row : values)
      if (row["method"] == m) {
        panels.push_back(m);
        break;
      }
  return panels;
}

// The noise baseline's MoRF curve, drawn in every panel: what an ordering that ignores the model gives.
json noise_reference(const std::vector<std::string>& panels, const json& values) {
  std::string noise;
  for (const std::string& m : panels)
    if (noise.empty() && m.rfind("noise", 0) == 0) noise = m;
  json reference = json::array();
  for (const json& row : values)
    if (!noise.empty() && row["method"] == noise && row["order"] == "MoRF")
      reference.push_back({{"series", kNoiseReference}, {"step", row["step"]}, {"mean", row["mean"]}});
  return reference;
}

std::string pixel_flipping_guide(const RunContext& c) {
  return "Samek et al. 2017: image regions are replaced in the order of the method's attribution (mean per pixel; "
         "by default |map| for sensitivity maps such as the gradient and Guided Backprop, whose sign is a direction, "
         "and the signed map for relevance maps such as LRP and IG), most relevant first (MoRF, blue) or least "
         "relevant first (LeRF, orange), and the model's output for the explained class is recorded after each step "
         "(line: mean over the images; band: the " + band_words(c) + "). One panel per method; the grey dashed line "
         "in every panel is the noise baseline's MoRF curve, what an ordering that ignores the model gives. A "
         "faithful method makes the MoRF curve fall steeply, below the grey line, and keeps the LeRF curve high; "
         "AOPC, the mean drop along a curve, summarizes it in the ranking table.";
}

json order_color(bool with_reference) {
  json domain = {"MoRF", "LeRF"}, range = {"#0072B2", "#D55E00"};
  if (with_reference) {
    domain.push_back(kNoiseReference);
    range.push_back("#888888");
  }
  return {{"field", "order"}, {"type", "nominal"}, {"title", nullptr},
          {"scale", {{"domain", domain}, {"range", range}}},
          {"legend", {{"orient", "top"}, {"symbolOpacity", 1}}}};
}

// The layers of one panel: the band, the mean curve and, when there is one, the noise reference.
json pixel_flipping_layers(const char* y_title, const json& reference) {
  const json x = {{"field", "step"}, {"type", "quantitative"}, {"title", "regions replaced"}};
  const json y_mean = {{"field", "mean"}, {"type", "quantitative"}, {"title", y_title}};
  const json color = order_color(!reference.empty());
  json layers = json::array(
      {{{"mark", {{"type", "area"}, {"opacity", 0.15}}},
        {"encoding", {{"x", x}, {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", y_title}}},
                      {"y2", {{"field", "hi"}}}, {"color", color}}}},
       {{"mark", {{"type", "line"}}},
        {"encoding", {{"x", x}, {"y", y_mean}, {"color", color},
                      {"tooltip", json::array({{{"field", "method"}}, {{"field", "order"}}, {{"field", "step"}},
                                               {{"field", "mean"}, {"format", ".3f"}},
                                               {{"field", "ci_low"}, {"title", "CI low"}, {"format", ".3f"}},
                                               {{"field", "ci_high"}, {"title", "CI high"}, {"format", ".3f"}},
                                               {{"field", "std"}, {"format", ".3f"}}})}}}}});
  if (!reference.empty()) {
    // Its own data: drawn unchanged in every panel.
    json ref_color = color;
    ref_color["field"] = "series";
    layers.push_back({{"data", {{"values", reference}}},
                      {"mark", {{"type", "line"}, {"strokeDash", {5, 3}}, {"strokeWidth", 1.5}}},
                      {"encoding", {{"x", x}, {"y", y_mean}, {"color", ref_color}}}});
  }
  return layers;
}

}  // namespace

std::vector<Figure> faithfulness_figures(const RunContext& c) {
  static const FlipVariant variants[] = {{"prob", "target class probability"}, {"logit", "target logit"}};
  std::vector<Figure> out;
  for (const FlipVariant& v : variants) {
    const json values = pixel_flipping_rows(c, v);
    if (values.empty()) continue;
    const std::vector<std::string> panels = faithfulness_panels(c, values);
    const json reference = noise_reference(panels, values);

    Figure f;
    f.kind = "faithfulness";
    f.name = c.prefix + "pixel_flipping_" + v.suffix;
    f.title = std::string("Pixel flipping \u00b7 ") + v.y_title;
    f.guide = pixel_flipping_guide(c);
    f.spec = base_spec(f.title, run_label(c.run) + " \u00b7 mean and " + band_words(c));
    f.spec["data"] = {{"values", values}};
    f.spec["facet"] = {{"field", "method"}, {"type", "nominal"}, {"title", nullptr}, {"sort", panels},
                       {"header", {{"labelLimit", 200}, {"labelFontSize", 10}}}};
    f.spec["columns"] = 5;
    f.spec["spec"] = {{"width", 150}, {"height", 105}, {"layer", pixel_flipping_layers(v.y_title, reference)}};
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sanity::report
