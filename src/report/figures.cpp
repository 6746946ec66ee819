#include "report/figures.h"

#include "report/chart_style.h"
#include "report/markup.h"

namespace sanity::report {

RunContext make_run_context(const Study& study, const RunInfo& run, const std::string& bands, const BootstrapOptions& ci) {
  return {study, run, study.methods(run.id), "run" + std::to_string(run.id) + "_", bands, ci};
}

nlohmann::json band_row(const Summary& s, const Interval& ci, const std::string& bands) {
  const bool std_band = bands == "std";
  return {{"mean", number(s.mean)},
          {"std", number(s.std)},
          {"ci_low", number(ci.low)},
          {"ci_high", number(ci.high)},
          {"lo", number(std_band ? s.mean - s.std : ci.low)},
          {"hi", number(std_band ? s.mean + s.std : ci.high)},
          {"n", s.count}};
}

std::string band_words(const RunContext& c) {
  return c.bands == "std" ? "\u00b11 standard deviation over the images"
                          : format_number(100 * c.ci.confidence, "%.3g") +
                                " % confidence interval of the mean (percentile bootstrap over the images, " +
                                std::to_string(c.ci.resamples) + " resamples)";
}

}  // namespace sanity::report
