#include "report/report.h"

namespace sanity::report {

const Settings<ReportOptions>& report_settings() {
  using O = ReportOptions;
  static const Settings<O> table = Settings<O>()
      .integer("images", &O::grid_images, "saliency grids for the first N saved images per check (0: all)")
      .text("ranking_metric", &O::ranking_metric, "similarity metric behind the randomization ranking")
      .number("zoom", &O::png_zoom, "PNG pixels per SVG unit (2: screens; 3.125: 300 dpi)", Bounds::between(0, 16, true))
      .choice("bands", &O::bands, {"ci", "std"},
              "the figures' bands: ci (bootstrap interval of the mean) or std (+-1 standard deviation)");
  return table;
}

}  // namespace sanity::report
