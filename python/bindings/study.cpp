// Studies in a directory (api/study.h): check, run, report, and a store's rows as columns for pandas.
#include <nlohmann/json.hpp>

#include <set>
#include <tuple>

#include "api/study.h"
#include "common.h"
#include "core/json.h"
#include "results/store.h"
#include "study/study_config.h"

namespace sanity::python {
namespace {

using namespace pybind11::literals;

// config: model, permuted_model, reference_model (paths), data (load_inputs' spec keys), the
// CheckLists texts (methods, checks, layers, init, keep_bias), metrics, reset_bn_stats, per_image,
// target, batch_size, grid_images, out, repair, device.
py::dict check(const py::dict& config, int threads, const py::object& bar, bool progress) {
  CheckConfig c;
  c.model = config["model"].cast<std::string>();
  c.permuted_model = get<std::string>(config, "permuted_model", "");
  c.reference_model = get<std::string>(config, "reference_model", "");
  c.data = data_options(config["data"].cast<py::dict>());
  api::CheckLists lists;
  lists.methods = config["methods"].cast<std::string>();
  lists.checks = get(config, "checks", lists.checks);
  lists.layers = get(config, "layers", lists.layers);
  lists.init = get(config, "init", lists.init);
  lists.keep_bias = get(config, "keep_bias", lists.keep_bias);
  api::apply_check_lists(c, lists);
  c.metrics = get(config, "metrics", c.metrics);
  c.reinit.reset_batchnorm_stats = get(config, "reset_bn_stats", false);
  c.reinit.per_image = get(config, "per_image", false);
  c.target = get(config, "target", c.target);
  c.batch_size = get(config, "batch_size", c.batch_size);
  c.grid_images = get(config, "grid_images", c.grid_images);
  c.out_dir = get(config, "out", c.out_dir);
  c.repair = get(config, "repair", false);
  c.device = get(config, "device", c.device);
  c.precision = get(config, "precision", c.precision);
  c.progress = progress;
  const CheckSummary s = compute(threads, bar, [&](PythonHook&) { return api::check(c); });
  return py::dict("run_id"_a = s.run_id, "units_done"_a = s.units_done, "units_skipped"_a = s.units_skipped,
                  "seconds"_a = s.seconds, "store"_a = c.out_dir + "/results.sqlite");
}

// config: "" (the default study), a JSON text ("{...}", from a dict) or a config file's path.
py::dict run(const std::string& config, const py::dict& options, int threads, const py::object& bar, bool progress) {
  StudyConfig c = config.empty()                 ? parse_study_config(nlohmann::json::object(), "the default study")
                  : config.front() == '{'        ? parse_study_config(parse_json_text(config, "config"), "config")
                                                 : load_study_config(config);
  c.out = get(options, "out", c.out);
  c.report = get(options, "report", c.report);
  const StudyRunOptions o{get<std::string>(options, "data_dir", ""), get<std::string>(options, "device", ""),
                          get<std::string>(options, "precision", ""), progress, get(options, "repair", false)};
  const StudySummary s = compute(threads, bar, [&](PythonHook&) { return api::run(c, o); });
  return py::dict("seconds"_a = s.seconds, "units_done"_a = s.units_done, "units_skipped"_a = s.units_skipped,
                  "models_trained"_a = s.models_trained, "models_reused"_a = s.models_reused, "report"_a = s.report,
                  "out"_a = c.out, "store"_a = c.out + "/results.sqlite");
}

py::tuple report_study(const std::string& study, const std::string& out, const py::dict& settings) {
  const auto& table = report::report_settings();
  const auto& rule = verdict_settings();
  const SettingName name = python_argument("sanity.report");
  nlohmann::json given = nlohmann::json::object();
  report::ReportOptions o;
  const nlohmann::json values = settings_values(settings, {&table.entries(), &rule.entries()}, "sanity.report");
  for (const auto& [flag, value] : values.items()) (table.has_flag(flag) ? given : o.verdicts)[flag] = value;
  table.apply_flags(given, o, name);
  VerdictRule checked;
  rule.apply_flags(o.verdicts, checked, name);
  report::ReportFiles files;
  {
    py::gil_scoped_release release;
    files = api::report(study, out, o);
  }
  return py::make_tuple(files.html, files.figures);
}

// The store's measurements in key order as columns (sanity export's measurements.csv): NumPy
// arrays for numbers (value NaN where the store holds NULL), lists for text.
py::dict rows(const std::string& path, std::optional<int64_t> run) {
  std::vector<int64_t> runs, stages, images, steps;
  std::vector<double> values;
  std::vector<std::string> checks, methods, metrics, layers;
  {
    py::gil_scoped_release release;
    const ResultsStore store(path, /*read_only=*/true);
    RowFilter filter;
    filter.run = run;
    store.each_row(filter, [&](const ResultRow& r) {
      runs.push_back(r.run);
      checks.push_back(r.check);
      stages.push_back(r.stage);
      methods.push_back(r.method);
      metrics.push_back(r.metric);
      layers.push_back(r.layer);
      images.push_back(r.image);
      steps.push_back(r.step);
      values.push_back(r.value);
    });
  }
  const auto array = [](const auto& v) { return py::array(static_cast<py::ssize_t>(v.size()), v.data()); };
  py::dict d;
  d["run_id"] = array(runs);
  d["check"] = checks;
  d["stage"] = array(stages);
  d["method"] = methods;
  d["metric"] = metrics;
  d["layer"] = layers;
  d["image"] = array(images);
  d["step"] = array(steps);
  d["value"] = array(values);
  return d;
}

// What each stage of each check means (the stages table): (run_id, check, stage, label) rows.
py::list stages(const std::string& path, std::optional<int64_t> run) {
  std::vector<std::tuple<int64_t, std::string, int64_t, std::string>> out;
  {
    py::gil_scoped_release release;
    const ResultsStore store(path, /*read_only=*/true);
    std::set<std::tuple<int64_t, std::string, int64_t>> seen;
    RowFilter filter;
    filter.run = run;
    store.each_row(filter, [&](const ResultRow& r) { seen.insert({r.run, r.check, r.stage}); });
    for (const auto& [id, check, stage] : seen)
      if (const auto label = store.stage_label(id, check, stage)) out.emplace_back(id, check, stage, *label);
  }
  py::list rows;
  for (const auto& [id, check, stage, label] : out) rows.append(py::make_tuple(id, check, stage, label));
  return rows;
}

py::list runs(const std::string& path) {
  std::vector<RunInfo> all;
  {
    py::gil_scoped_release release;
    all = ResultsStore(path, /*read_only=*/true).runs();
  }
  py::list out;
  for (const RunInfo& r : all) {
    py::dict d;
    d["run_id"] = r.id;
    d["model"] = r.config.model;
    d["data"] = r.config.data;
    d["options"] = r.config.options.dump();
    d["seed"] = static_cast<int64_t>(r.config.seed);
    d["sanity_version"] = r.sanity_version;
    d["torch_version"] = r.torch_version;
    d["created"] = r.created;
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_study(py::module_& m) {
  m.def("check", &check, py::arg("config"), py::arg("threads"), py::arg("bar"), py::arg("progress"));
  m.def("run", &run, py::arg("config"), py::arg("options"), py::arg("threads"), py::arg("bar"), py::arg("progress"));
  m.def("report", &report_study, py::arg("study"), py::arg("out"), py::arg("settings"));
  m.def("rows", &rows, py::arg("store"), py::arg("run") = py::none());
  m.def("runs", &runs, py::arg("store"));
  m.def("stages", &stages, py::arg("store"), py::arg("run") = py::none());
}

}  // namespace sanity::python
