// sanity export: a results database as CSV / JSON files for pandas, R or a spreadsheet.
#include "cli/commands.h"
#include "results/export.h"

namespace sanity::cli {

Command make_export_command() {
  struct Args {
    std::string db, out, format = "csv,json";
    int64_t resamples = BootstrapOptions{}.resamples;
    double confidence = BootstrapOptions{}.confidence;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand("export", "Write a results database as measurements.csv, runs.csv, summaries.csv (mean, std and\n"
                                           "a bootstrap confidence interval per curve point) and JSON equivalents");
    s->add_option("--db", a->db, "the study's results.sqlite")->required();
    s->add_option("--out", a->out, "output directory (created if missing)")->required();
    s->add_option("--format", a->format, "csv, json or csv,json")->capture_default_str();
    s->add_option("--resamples", a->resamples, "bootstrap resamples of the images per summary interval")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
    s->add_option("--confidence", a->confidence, "the intervals' confidence level")
        ->capture_default_str()
        ->check(CLI::Range(0.5, 0.999));
    return s;
  };
  c.execute = [a] {
    ExportFormats formats = parse_export_formats(a->format);  // before opening: a typo costs nothing
    formats.ci.resamples = a->resamples;
    formats.ci.confidence = a->confidence;
    const ResultsStore store(a->db, /*read_only=*/true);
    store.check_integrity(kRepairWithTheWriter);
    for (const std::string& path : export_results(store, a->out, formats)) std::printf("wrote %s\n", path.c_str());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
