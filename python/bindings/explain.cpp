// explain, faithfulness and csc on a model and test bed in memory (api/explain.h, api/faithfulness.h,
// api/csc.h), results as NumPy arrays on the library's memory.
#include "api/csc.h"
#include "api/explain.h"
#include "api/faithfulness_files.h"
#include "common.h"
#include "core/progress.h"

namespace sanity::python {
namespace {

py::dict tensors_dict(const std::map<std::string, Tensor>& m) {
  py::dict d;
  for (const auto& [k, v] : m) d[py::str(k)] = to_numpy(v);
  return d;
}

// request: methods (a spec list), target ("predicted", "true", a class), classes (int array or
// None), batch_size, seed, device; fit: see fit_context().
py::dict explain(const std::shared_ptr<ModelHandle>& model, const py::dict& data, const py::dict& request,
                 const py::dict& fit, int threads, const py::object& bar, bool progress) {
  api::ExplainRequest r;
  r.methods = parse_method_list(request["methods"].cast<std::string>());
  api::make_methods(r.methods);  // a typo should not cost a data load
  r.target = get<std::string>(request, "target", r.target);
  r.batch_size = get<int64_t>(request, "batch_size", r.batch_size);
  if (r.batch_size < 1) throw InputError("batch_size " + std::to_string(r.batch_size) + ": must be at least 1");
  const std::shared_ptr<const Graph> graph = model_on_device(*model, request);
  r.precision = precision_of(request, *graph);
  const Prepared p = prepare(data, fit, *model, r.methods);
  const Inputs& in = p.in;
  p.attach(r);
  r.seed = p.seed;
  if (!get<py::object>(request, "classes", py::none()).is_none())
    r.target_classes = view_of(request, "classes", "targets");

  std::vector<api::MethodMaps> results;
  const api::ExplainRun run = compute(threads, bar, [&](PythonHook&) {
    Progress bar("explain", static_cast<int64_t>(r.methods.size()), progress);
    api::ExplainRun run = api::explain(*graph, in.loaded.data, in.loaded.ids, r, [&](const api::MethodMaps& m) {
      results.push_back(m);
      bar.advance(1, m.given.str());
    });
    bar.finish();
    return run;
  });
  py::list methods;
  for (const api::MethodMaps& m : results) {
    py::dict d;
    d["given"] = m.given.str();
    d["spec"] = m.method->spec().str();
    d["maps"] = to_numpy(m.maps);
    d["diagnostics"] = tensors_dict(m.diagnostics);
    d["seconds"] = m.seconds;
    d["gradcam_layer"] = m.gradcam_layer;
    methods.append(d);
  }
  py::dict out;
  out["methods"] = methods;
  out["predicted"] = to_numpy(run.predicted);
  out["targets"] = to_numpy(run.targets);
  out["ids"] = to_numpy(in.loaded.ids);
  out["labels"] = to_numpy(in.loaded.data.labels);
  return out;
}

// The protocol from sanity.faithfulness()'s settings arguments (faithfulness_settings()).
FaithfulnessOptions faithfulness_options(const py::dict& settings) {
  const auto& table = faithfulness_settings();
  FaithfulnessOptions f;
  table.apply_flags(settings_values(settings, {&table.entries()}, "sanity.faithfulness"), f,
                    python_argument("sanity.faithfulness"));
  return f;
}

py::dict ranking_dict(const RankingTable& t) {
  py::dict d;
  d["methods"] = t.methods;
  std::vector<std::string> names;
  for (const Measure& m : t.measures) names.push_back(m.name);
  d["measures"] = names;
  d["scores"] = t.scores;
  d["ranks"] = t.ranks;
  d["rank_correlation"] = t.rank_correlation;
  return d;
}

// request: methods, batch_size, device, out ("" none: else sanity faithfulness's files and store there) and
// settings, the protocol's (faithfulness_options).
py::dict faithfulness(const std::shared_ptr<ModelHandle>& model, const py::dict& data, const py::dict& request,
                      const py::dict& fit, int threads, const py::object& bar, bool progress) {
  api::FaithfulnessRequest r;
  r.methods = parse_method_list(request["methods"].cast<std::string>());
  api::make_methods(r.methods);
  r.options = faithfulness_options(request["settings"].cast<py::dict>());
  r.batch_size = get<int64_t>(request, "batch_size", r.batch_size);
  if (r.batch_size < 1) throw InputError("batch_size " + std::to_string(r.batch_size) + ": must be at least 1");
  const std::string out = get<std::string>(request, "out", "");
  const std::shared_ptr<const Graph> graph = model_on_device(*model, request);
  r.precision = precision_of(request, *graph);
  const Prepared p = prepare(data, fit, *model, r.methods);
  const Inputs& in = p.in;
  p.attach(r);
  r.seed = p.seed;

  std::vector<api::MethodFaithfulness> results;
  int64_t run_id = 0;
  const api::FaithfulnessRun run = compute(threads, bar, [&](PythonHook&) {
    std::unique_ptr<api::FaithfulnessFiles> files;
    if (!out.empty())
      files = std::make_unique<api::FaithfulnessFiles>(
          out, api::faithfulness_run(model->name, *graph, in.options, in.loaded, r.options, r.precision));
    Progress bar("faithfulness", static_cast<int64_t>(r.methods.size()), progress);
    api::FaithfulnessRun run = api::faithfulness(*graph, in.loaded.data.images, in.loaded.ids, r,
                                                 [&](const api::MethodFaithfulness& m) {
                                                   if (files) files->add(m, in.loaded.ids);
                                                   results.push_back(m);
                                                   bar.advance(1, m.spec);
                                                 });
    bar.finish();
    if (files) {
      files->finish(run.ranking, api::faithfulness_header(model->name, in.options, in.loaded.data, r.options, r.batch_size));
      run_id = files->run_id();
    }
    return run;
  });
  py::list methods;
  for (const api::MethodFaithfulness& m : results) {
    py::dict d, scores, curves;
    d["spec"] = m.spec;
    d["order"] = m.by_magnitude ? "absolute" : "signed";
    d["seconds"] = m.seconds;
    for (const auto& [name, s] : per_image_scores(m.result)) scores[py::str(name)] = to_numpy(s);
    for (const auto& [name, c] : named_curves(m.result)) curves[py::str(name)] = to_numpy(c);
    d["scores"] = scores;
    d["curves"] = curves;
    d["means"] = m.means;
    methods.append(d);
  }
  py::dict o;
  o["methods"] = methods;
  o["targets"] = to_numpy(run.targets);
  o["ids"] = to_numpy(in.loaded.ids);
  o["ranking"] = ranking_dict(run.ranking);
  o["run_id"] = run_id;
  return o;
}

// request: methods, start (random, classes, both), inject, samples, layers (list), batch_size, device.
py::list csc(const std::shared_ptr<ModelHandle>& model, const py::dict& data, const py::dict& request,
             const py::dict& fit, int threads, const py::object& bar, bool progress) {
  api::CscRequest r;
  r.methods = parse_method_list(get<std::string>(request, "methods", api::default_csc_methods()));
  r.starts = api::parse_csc_starts(get<std::string>(request, "start", "random"));
  CscOptions& o = r.options;
  o.inject = get<std::string>(request, "inject", "");
  o.samples = get<int>(request, "samples", o.samples);
  o.layers = get<std::vector<std::string>>(request, "layers", {});
  o.images_per_batch = get<int64_t>(request, "batch_size", o.images_per_batch);
  const std::shared_ptr<const Graph> graph = model_on_device(*model, request);
  const Prepared p = prepare(data, fit, *model, r.methods);
  const Inputs& in = p.in;
  p.attach(r);
  o.seed = p.seed;

  std::vector<api::CscRun> runs;
  compute(threads, bar, [&](PythonHook&) {
    Progress bar("csc", static_cast<int64_t>(r.methods.size() * r.starts.size()), progress);
    api::csc(*graph, in.loaded.data.images, in.loaded.ids, r, [&](const api::CscRun& run) {
      runs.push_back(run);
      bar.advance(1, run.result.method);
    });
    bar.finish();
    return 0;
  });
  py::list out;
  for (const auto& [res, seconds] : runs)
    for (const CscLayer& l : res.layers) {
      py::dict d;
      d["method"] = res.method;
      d["start"] = res.start;
      d["inject"] = res.inject;
      d["layer"] = l.name;
      d["node"] = l.node;
      d["channels"] = l.channels;
      d["positions"] = l.positions;
      d["count"] = l.count;
      d["dropped"] = l.dropped;
      d["median"] = l.median;
      d["mean"] = l.mean;
      d["q05"] = l.q05;
      d["q25"] = l.q25;
      d["q75"] = l.q75;
      d["q95"] = l.q95;
      d["baseline_median"] = l.baseline_median;
      d["images"] = res.images;
      d["seconds"] = seconds;
      out.append(d);
    }
  return out;
}

// A data spec's test bed as arrays: (images, labels, ids).
py::tuple data(const py::dict& spec) {
  const DataOptions o = data_options(spec);
  LoadedData loaded;
  {
    py::gil_scoped_release release;
    loaded = load_data(o);
  }
  return py::make_tuple(to_numpy(loaded.data.images), to_numpy(loaded.data.labels), to_numpy(loaded.ids));
}

}  // namespace

void bind_explain(py::module_& m) {
  m.def("data", &data, py::arg("spec"));
  m.def("explain", &explain, py::arg("model"), py::arg("data"), py::arg("request"), py::arg("fit"),
        py::arg("threads"), py::arg("bar"), py::arg("progress"));
  m.def("faithfulness", &faithfulness, py::arg("model"), py::arg("data"), py::arg("request"), py::arg("fit"),
        py::arg("threads"), py::arg("bar"), py::arg("progress"));
  m.def("csc", &csc, py::arg("model"), py::arg("data"), py::arg("request"), py::arg("fit"), py::arg("threads"),
        py::arg("bar"), py::arg("progress"));
}

}  // namespace sanity::python
