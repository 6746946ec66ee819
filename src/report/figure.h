#pragma once
// One figure of the report: a Vega-Lite spec (drawn to SVG by Node, live in the HTML by vega-embed)
// or, for the saliency grid, a composed SVG. Built by the figure builders (figures.h).
#include <string>

#include <nlohmann/json.hpp>

namespace sanity::report {

struct Figure {
  std::string name;     // file stem, unique in the report: "run1_similarity_cascading_spearman_abs"
  std::string kind;     // "similarity", "accuracy", "activation", "saliency_grid", "csc", "faithfulness", "ranking"
  std::string title;    // one line, the report's caption heading
  std::string guide;    // how to read it: what passing and failing look like (plain text)
  nlohmann::json spec;  // Vega-Lite spec with its data inline (null for a composed SVG)
  std::string svg;      // the composed SVG (saliency grid), also inlined by report.html; for Vega-Lite
                        // figures filled when rendered
  // What the PNG is drawn from when it is not `svg` (saliency grid: its tiles upscaled with nearest
  // neighbours, as rsvg-convert smooths scaled images whatever their image-rendering); never saved.
  std::string raster_svg;
};

}  // namespace sanity::report
