#pragma once
// The figure builders, one source file per kind of figure. Each reads the store through the Study
// and returns zero or more figures (none when the run has no data for that kind), with the numbers
// it plots in the spec's data: mean, std and the bootstrap interval of the mean come from
// ResultsStore::summaries, untouched.
#include <string>
#include <vector>

#include "report/figure.h"
#include "report/maps_index.h"
#include "report/ranking.h"
#include "report/study.h"

namespace sanity::report {

// What every builder of one run needs.
struct RunContext {
  const Study& study;
  const RunInfo& run;
  std::vector<std::string> methods;  // every method of the run, sorted: the same colour in every figure
  std::string prefix;                // figure-name prefix, "run1_"
  // What the bands show: "ci", the bootstrap interval of the mean over the images (`ci`: resamples,
  // confidence; seeded per group as `sanity export` does), or "std", +-1 standard deviation.
  std::string bands = "ci";
  BootstrapOptions ci;
};
RunContext make_run_context(const Study& study, const RunInfo& run, const std::string& bands = "ci",
                            const BootstrapOptions& ci = {});

// Similarity vs randomization stage, one line per method with its band (Adebayo et al. Fig. 2, 3), one
// panel per method family (gradient, modified backprop, LRP, baselines; the edge detector and the
// noise baseline drawn in grey in every panel), one figure per (check, metric). A check with a single
// stage gets bars with error bars instead.
// Data rows: method, family, stage, stage_label, mean, std, ci_low, ci_high, lo, hi (the band), n.
// similarity_figure.cpp
std::vector<Figure> similarity_figures(const RunContext& c);
// The numbers of one curve point: mean, std, ci_low, ci_high, n, and lo/hi the band `bands` asks for.
nlohmann::json band_row(const Summary& s, const Interval& ci, const std::string& bands);
// What the band is, in words, for subtitles and reading guides.
std::string band_words(const RunContext& c);
// Model accuracy per stage, one figure per check with accuracy rows. Rows: stage, stage_label, accuracy.
std::vector<Figure> accuracy_figures(const RunContext& c);
// Activation scale under cascading randomization (Binder et al.): norm ratio and rank correlation
// per layer per stage, one figure. Rows: quantity, layer, stage, stage_label, value.
std::vector<Figure> activation_figures(const RunContext& c);
// CSC per layer per method, median with the quartiles and the random-vector baseline (Sixt et al.).
// Rows: method, layer, depth, median, q1, q3 (and baseline rows with method "").
std::vector<Figure> csc_figures(const RunContext& c);
// MoRF / LeRF curves per method, one figure per variant (probability, logit).
// Rows: method, order ("MoRF"/"LeRF"), step, mean, std, ci_low, ci_high, lo, hi (the band), n.
std::vector<Figure> faithfulness_figures(const RunContext& c);
// The ranking table as a chart: methods x criteria, coloured by rank, labelled with the score.
// Rows: method, criterion, score, rank.
std::vector<Figure> ranking_figures(const RunContext& c, const RankingTable& table);
// Saliency-map grids (Adebayo et al. Fig. 1, 4-9): rows = methods, columns = the input, the original
// explanation and each randomization stage; one figure per (check, image) for the first `max_images`
// images (0: all). Composed SVG with PNG tiles.   saliency_grid.cpp
std::vector<Figure> saliency_grid_figures(const RunContext& c, const MapsIndex& index, int max_images);

}  // namespace sanity::report
