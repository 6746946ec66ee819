// sanity export: a results database as CSV / JSON files for pandas, R or a spreadsheet.
#include "cli/commands.h"
#include "results/export.h"

namespace sanity::cli {

Command make_export_command() {
  struct Args {
    std::string db, out, format = "csv,json";
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand("export", "Write a results database as measurements.csv, runs.csv and JSON equivalents");
    s->add_option("--db", a->db, "the study's results.sqlite")->required();
    s->add_option("--out", a->out, "output directory (created if missing)")->required();
    s->add_option("--format", a->format, "csv, json or csv,json")->capture_default_str();
    return s;
  };
  c.execute = [a] {
    const ExportFormats formats = parse_export_formats(a->format);  // before opening: a typo costs nothing
    const ResultsStore store(a->db, /*read_only=*/true);
    for (const std::string& path : export_results(store, a->out, formats)) std::printf("wrote %s\n", path.c_str());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
