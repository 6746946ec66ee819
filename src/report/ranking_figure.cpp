// The ranking table as figures: ranks per method and criterion, and the agreement between rankings.
#include <cmath>
#include <cstdio>

#include "report/chart_style.h"
#include "report/figures.h"
#include "report/markup.h"

using nlohmann::json;

namespace sanity::report {

namespace {

std::string format_score(double v) { return format_number(v); }

std::string format_rank(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, r == std::floor(r) ? "%.0f" : "%.1f", r);
  return buf;
}

// Criteria across the top; the agreement figure reuses it for both of its axes.
json criterion_x(const std::vector<std::string>& labels) {
  return {{"field", "criterion"}, {"type", "nominal"}, {"sort", labels}, {"title", nullptr},
          {"axis", {{"orient", "top"}, {"labelAngle", -30}, {"labelLimit", 240}, {"domain", false}, {"ticks", false}}}};
}

json rank_cells(const RankingTable& t, const std::vector<std::string>& labels) {
  json values = json::array();
  for (size_t i = 0; i < t.methods.size(); i++)
    for (size_t j = 0; j < t.criteria.size(); j++) {
      const double r = t.ranks[i][j];
      values.push_back({{"method", t.methods[i]}, {"criterion", labels[j]}, {"kind", t.criteria[j].kind},
                        {"score", number(t.scores[i][j])}, {"rank", number(r)},
                        {"cell", std::isfinite(r) ? format_rank(r) + "  (" + format_score(t.scores[i][j]) + ")"
                                                  : std::string("not measured")}});
    }
  return values;
}

// `worst`: the largest rank the colour scale spans; the better half of the ranks gets white text.
json rank_layers(double worst) {
  return json::array({
      {{"mark", {{"type", "rect"}, {"stroke", "white"}, {"strokeWidth", 2}}},
       {"encoding",
        {{"color", {{"field", "rank"}, {"type", "quantitative"}, {"title", "rank"},
                    {"scale", {{"scheme", "blues"}, {"reverse", true}, {"domain", {1, worst}}}},
                    {"legend", {{"direction", "vertical"}, {"tickCount", std::min<double>(worst, 6)}}}}}}}},
      {{"mark", {{"type", "text"}, {"fontSize", 11}}},
       {"encoding",
        {{"text", {{"field", "cell"}}},
         {"color", {{"condition", {{"test", "datum.rank != null && datum.rank <= " + std::to_string((worst + 1) / 2)},
                                   {"value", "white"}}},
                    {"value", "#222"}}}}}},
  });
}

// A table drawn as a grid of cells, `cell_width` pixels wide and 30 high (the ranking's two figures).
Figure table_figure(const RunContext& c, const std::string& name, const std::string& title, const std::string& subtitle,
                    json cells, int cell_width, std::string guide) {
  Figure f;
  f.kind = "ranking";
  f.name = c.prefix + name;
  f.title = title;
  f.guide = std::move(guide);
  f.spec = base_spec(f.title, run_label(c.run) + subtitle);
  f.spec["data"] = {{"values", std::move(cells)}};
  f.spec["width"] = {{"step", cell_width}};
  f.spec["height"] = {{"step", 30}};
  return f;
}

Figure rank_figure(const RunContext& c, const RankingTable& t, const std::vector<std::string>& labels, const json& x) {
  const double worst = std::max<double>(2, static_cast<double>(t.methods.size()));
  Figure ranks = table_figure(
      c, "ranking", "Ranking of the methods", " \u00b7 rank (score)", rank_cells(t, labels), 104,
      "Each column ranks the methods by one criterion (1 = best; the score in brackets, \u2191 higher is better, "
      "\u2193 lower is better; ties share their mean rank). Randomization columns reward explanations that change "
      "when the model is randomized; faithfulness columns reward explanations whose top regions matter to the model. "
      "Binder et al. 2023 found the two kinds of ranking disagree: compare the colours along a row.");
  const json y = {{"field", "method"}, {"type", "nominal"}, {"sort", t.methods}, {"title", nullptr},
                  {"axis", {{"labelLimit", 320}, {"domain", false}, {"ticks", false}}}};
  ranks.spec["encoding"] = {{"x", x}, {"y", y}};
  ranks.spec["layer"] = rank_layers(worst);
  return ranks;
}

json agreement_cells(const RankingTable& t, const std::vector<std::string>& labels) {
  json corr = json::array();
  for (size_t j = 0; j < t.criteria.size(); j++)
    for (size_t k = 0; k < t.criteria.size(); k++)
      corr.push_back({{"row", labels[j]}, {"column", labels[k]}, {"rho", number(t.rank_correlation[j][k])},
                      {"n", t.rank_correlation_n[j][k]}, {"cell", format_score(t.rank_correlation[j][k])}});
  return corr;
}

// Strong correlations (|rho| > 0.6) get white text on their dark cells.
json agreement_layers() {
  return json::array({
      {{"mark", {{"type", "rect"}, {"stroke", "white"}, {"strokeWidth", 2}}},
       {"encoding", {{"color", {{"field", "rho"}, {"type", "quantitative"}, {"title", "\u03c1"},
                                {"scale", {{"scheme", "redblue"}, {"domain", {-1, 1}}}}}}}}},
      {{"mark", {{"type", "text"}, {"fontSize", 11}}},
       {"encoding", {{"text", {{"field", "cell"}}},
                     {"color", {{"condition", {{"test", "datum.rho != null && abs(datum.rho) > 0.6"}, {"value", "white"}}},
                                {"value", "#222"}}}}}},
  });
}

Figure agreement_figure(const RunContext& c, const RankingTable& t, const std::vector<std::string>& labels,
                        const json& x) {
  Figure agree = table_figure(
      c, "ranking_agreement", "Agreement between the rankings", " \u00b7 Spearman correlation of the ranks",
      agreement_cells(t, labels), 72,
      "Spearman correlation between two columns of the ranking table, over the methods scored by both: 1 = the same "
      "order, \u22121 = reversed, near 0 = unrelated. Positive values between a randomization column and a "
      "faithfulness column mean the two kinds of evaluation agree on which methods are better; Binder et al. 2023 "
      "report that they often do not.");
  json cx = x, cy = x;
  cx["field"] = "column";
  cy["field"] = "row";
  cy["axis"] = {{"labelLimit", 240}, {"domain", false}, {"ticks", false}};
  agree.spec["encoding"] = {{"x", cx}, {"y", cy}};
  agree.spec["layer"] = agreement_layers();
  return agree;
}

}  // namespace

std::vector<Figure> ranking_figures(const RunContext& c, const RankingTable& t) {
  if (t.methods.empty() || t.criteria.empty()) return {};
  std::vector<std::string> labels;
  for (const Criterion& cr : t.criteria) labels.push_back(cr.label + (cr.higher_is_better ? " \u2191" : " \u2193"));
  const json x = criterion_x(labels);
  return {rank_figure(c, t, labels, x), agreement_figure(c, t, labels, x)};
}

}  // namespace sanity::report
