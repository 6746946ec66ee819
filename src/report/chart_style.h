#pragma once
// The look shared by every chart: fonts and sizes readable in a paper at column width, a white
// background (PNG and SVG drop into slides as they are), and one colour per method that stays the
// same across all figures of a run. Plus the small helpers the figure builders share.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/metric.h"

namespace sanity::report {

// A Vega-Lite spec with $schema, title/subtitle and the shared config; builders add data and marks.
nlohmann::json base_spec(const std::string& title, const std::string& subtitle);

// One panel of a figure faceted by method family (method_family.h): its title and its methods.
struct Panel {
  std::string title;                 // the family ("LRP"), "LRP (2)" when a family needs two panels
  std::vector<std::string> methods;  // in the run's order, at most as many as the palette has colours
};
// The methods of a figure grouped into panels by family, in display order (baselines last).
// `run_methods`: every method of the run, which fixes each method's colour (its place in its
// family), so that a method keeps its colour in every figure and no colour repeats within a panel.
std::vector<Panel> family_panels(const std::vector<std::string>& methods, const std::vector<std::string>& run_methods);
// Colour encoding of one panel: `extra` (reference methods drawn in grey) after the panel's methods;
// the legend next to the panel, labels whole.
nlohmann::json panel_color(const Panel& panel, const std::vector<std::string>& run_methods,
                           const std::vector<std::string>& extra = {});
// A spec of panels side by side, `columns` per row, each panel with its own colour scale and legend.
void concat_panels(nlohmann::json& spec, nlohmann::json panels, int columns = 2);
// A number for a spec's data: null for NaN or infinity (Vega skips nulls; JSON has no NaN).
nlohmann::json number(double v);
// A file-name-safe form of a spec ("ssim(data_range=1)" -> "ssim_data_range_1"), at most 60 characters.
std::string slug(const std::string& text);
// Which way a similarity metric points; metrics the registry does not know count as "higher = more similar".
Direction metric_direction(const std::string& metric_spec);

}  // namespace sanity::report

namespace sanity::report {

// An ordinal x encoding over stage labels in stage order; labels slant when they are long.
nlohmann::json stage_x(const std::vector<std::string>& labels, const std::string& title,
                       const std::string& field = "stage_label");
// A layer that draws a dashed horizontal reference line at y = value.
nlohmann::json reference_rule(double value);

}  // namespace sanity::report
