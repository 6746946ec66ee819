#include "results/export.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"

namespace sanity {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

namespace {

// An output file written under a temporary name and renamed into place by close().
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)), tmp_(temporary_name(path_)), out_(tmp_) {
    if (!out_) throw InputError("export: cannot write '" + path_ + "'");
  }
  // A file not closed (an error on the way) leaves no temporary behind.
  ~AtomicFile() {
    if (closed_) return;
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
  std::ofstream& out() { return out_; }
  std::string close() {
    out_.close();
    if (!out_) throw InputError("export: writing '" + path_ + "' failed (disk full?)");
    std::error_code ec;
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) throw InputError("export: cannot write '" + path_ + "' (" + ec.message() + ")");
    closed_ = true;
    return path_;
  }

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool closed_ = false;
};

// ordered_json: records keep the column order of the CSV files.
nlohmann::ordered_json row_json(const ResultRow& r) {
  return {{"run_id", r.run}, {"check", r.check}, {"stage", r.stage}, {"method", r.method}, {"metric", r.metric},
          {"layer", r.layer}, {"image", r.image}, {"step", r.step},
          {"value", std::isnan(r.value) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.value)}};
}

nlohmann::ordered_json run_json(const RunInfo& r) {
  return {{"run_id", r.id}, {"model", r.config.model}, {"data", r.config.data}, {"options", r.config.options},
          {"seed", static_cast<int64_t>(r.config.seed)}, {"sanity_version", r.sanity_version},
          {"torch_version", r.torch_version}, {"created", r.created}};
}

nlohmann::ordered_json summary_json(const ResultSummary& g, double confidence) {
  const auto number = [](double v) { return std::isnan(v) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v); };
  return {{"run_id", g.run}, {"check", g.check}, {"stage", g.stage}, {"method", g.method},
          {"metric", g.metric}, {"layer", g.layer}, {"step", g.step},
          {"n", g.summary.count}, {"nan_count", g.summary.nan_count},
          {"mean", number(g.summary.mean)}, {"std", number(g.summary.std)},
          {"ci_low", number(g.ci.low)}, {"ci_high", number(g.ci.high)},
          {"confidence", confidence}};
}

std::string write_measurements_csv(const ResultsStore& store, const std::string& dir) {
  AtomicFile m(dir + "/measurements.csv");
  m.out() << "run_id,check,stage,method,metric,layer,image,step,value\n";
  store.each_row({}, [&](const ResultRow& r) {
    m.out() << r.run << ',' << csv_field(r.check) << ',' << r.stage << ',' << csv_field(r.method) << ','
            << csv_field(r.metric) << ',' << csv_field(r.layer) << ',' << r.image << ',' << r.step << ','
            << csv_number(r.value) << '\n';
  });
  return m.close();
}

std::string write_runs_csv(const std::vector<RunInfo>& runs, const std::string& dir) {
  AtomicFile f(dir + "/runs.csv");
  f.out() << "run_id,model,data,options,seed,sanity_version,torch_version,created\n";
  for (const RunInfo& r : runs)
    f.out() << r.id << ',' << csv_field(r.config.model) << ',' << csv_field(r.config.data) << ','
            << csv_field(r.config.options.dump()) << ',' << static_cast<int64_t>(r.config.seed) << ','
            << csv_field(r.sanity_version) << ',' << csv_field(r.torch_version) << ',' << csv_field(r.created)
            << '\n';
  return f.close();
}

std::string write_summaries_csv(const std::vector<ResultSummary>& summaries, double confidence, const std::string& dir) {
  AtomicFile s(dir + "/summaries.csv");
  s.out() << "run_id,check,stage,method,metric,layer,step,n,nan_count,mean,std,ci_low,ci_high,confidence\n";
  for (const ResultSummary& g : summaries)
    s.out() << g.run << ',' << csv_field(g.check) << ',' << g.stage << ',' << csv_field(g.method) << ','
            << csv_field(g.metric) << ',' << csv_field(g.layer) << ',' << g.step << ',' << g.summary.count << ','
            << g.summary.nan_count << ',' << csv_number(g.summary.mean) << ',' << csv_number(g.summary.std) << ','
            << csv_number(g.ci.low) << ',' << csv_number(g.ci.high) << ',' << csv_number(confidence) << '\n';
  return s.close();
}

std::string write_measurements_json(const ResultsStore& store, const std::string& dir) {
  AtomicFile m(dir + "/measurements.json");
  m.out() << "[";
  bool first = true;
  store.each_row({}, [&](const ResultRow& r) {
    m.out() << (first ? "\n" : ",\n") << row_json(r).dump();
    first = false;
  });
  m.out() << "\n]\n";
  return m.close();
}

std::string write_runs_json(const std::vector<RunInfo>& runs, const std::string& dir) {
  AtomicFile f(dir + "/runs.json");
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const RunInfo& r : runs) all.push_back(run_json(r));
  f.out() << all.dump(2) << "\n";
  return f.close();
}

std::string write_summaries_json(const std::vector<ResultSummary>& summaries, double confidence, const std::string& dir) {
  AtomicFile s(dir + "/summaries.json");
  s.out() << "[";
  for (size_t i = 0; i < summaries.size(); ++i) s.out() << (i ? ",\n" : "\n") << summary_json(summaries[i], confidence).dump();
  s.out() << "\n]\n";
  return s.close();
}

}  // namespace

ExportFormats parse_export_formats(const std::string& text) {
  ExportFormats f{false, false};
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    if (item == "csv")
      f.csv = true;
    else if (item == "json")
      f.json = true;
    else
      throw InputError("--format: unknown format '" + item + "'; expected csv, json or csv,json");
    start = end + 1;
  }
  return f;
}

std::vector<std::string> export_results(const ResultsStore& store, const std::string& dir, ExportFormats formats) {
  ensure_directory(dir, "export: --out");
  std::vector<std::string> written;
  const std::vector<RunInfo> runs = store.runs();
  const std::vector<ResultSummary> summaries = store.summaries({}, &formats.ci);
  if (formats.csv) {
    written.push_back(write_measurements_csv(store, dir));
    written.push_back(write_runs_csv(runs, dir));
    written.push_back(write_summaries_csv(summaries, formats.ci.confidence, dir));
  }
  if (formats.json) {
    written.push_back(write_measurements_json(store, dir));
    written.push_back(write_runs_json(runs, dir));
    written.push_back(write_summaries_json(summaries, formats.ci.confidence, dir));
  }
  return written;
}

}  // namespace sanity
