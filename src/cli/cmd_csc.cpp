// sanity csc: Cosine Similarity Convergence (Sixt et al. 2020) of modified-backprop methods; writes
// csc.csv and csc.json (per method and layer: median, mean, percentiles, Gaussian baseline).
#include <nlohmann/json.hpp>

#include "api/csc.h"
#include "api/listing.h"
#include "cli/commands.h"
#include "core/files.h"
#include "core/runtime.h"
#include "models/model_io.h"

namespace sanity::cli {
namespace {

struct CscArgs {
  CommonOptions common;
  DataArgs data;
  FitArgs fit;
  std::string model, out, inject, start = "random", layers;
  std::string methods = api::default_csc_methods();
  int64_t batch = 8;
  int samples = 5;
};

int run_csc(const CscArgs& a) {
  apply_common_options(a.common);
  ensure_directory(a.out, "--out");
  Graph g = load_model(a.model);
  g.to(parse_device(a.common.device));
  DataArgs data_args = a.data;
  const DataOptions data_options = finish_data_options(data_args, a.common);
  const LoadedData loaded = load_data(data_options);
  api::CscRequest request;
  request.methods = parse_method_list(a.methods);
  request.starts = api::parse_csc_starts(a.start);
  const api::FitContext fit = api::load_fit_context(a.fit.source, data_options, a.model, request.methods);
  request.fit = &fit;
  request.data_name = "--data " + data_options.spec;
  CscOptions& o = request.options;
  o.inject = a.inject;
  o.samples = a.samples;
  o.seed = data_options.testbed.seed;
  o.images_per_batch = a.batch;
  for (size_t i = 0, j; i < a.layers.size(); i = j + 1) {
    j = a.layers.find(',', i);
    if (j == std::string::npos) j = a.layers.size();
    if (j > i) o.layers.push_back(a.layers.substr(i, j - i));
  }

  std::vector<api::CscRun> runs;
  api::csc(g, loaded.data.images, loaded.ids, request, [&](const api::CscRun& run) {
    runs.push_back(run);
    const CscLayer* lowest = api::lowest_layer(run.result);
    if (!a.common.quiet && lowest)
      std::fprintf(stderr, "%-40s %-11s lowest layer %s: median |cos| %.4f (Gaussian %.4f), %.1f s\n",
                   run.result.method.c_str(), run.result.start.c_str(), lowest->name.c_str(), lowest->median,
                   lowest->baseline_median, run.seconds);
  });
  const nlohmann::json header{{"model", a.model}, {"data", loaded.data.name}, {"images", loaded.data.size()},
                              {"seed", o.seed}, {"samples", a.samples}};
  api::write_csc_files(a.out, runs, header);
  std::printf("wrote %s/csc.csv and %s/csc.json\n", a.out.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

Command make_csc_command() {
  auto args = std::make_shared<CscArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("csc", "Cosine Similarity Convergence of modified-backprop methods (Sixt et al. 2020)");
    s->add_option("--model", args->model, "an .onnx file, or cnn / mlp / vit")->required();
    add_data_options(s, args->data, 200);
    s->get_option("--data")->required();
    s->add_option("--methods", args->methods, "comma-separated method specs")->capture_default_str();
    s->add_option("--out", args->out, "output directory")->required();
    s->add_option("--inject", args->inject, "layer whose backward signal is replaced (default: the logits)");
    s->add_option("--start", args->start, "random (5 Gaussian vectors), classes (two one-hot classes) or both")
        ->capture_default_str();
    s->add_option("--samples", args->samples, "random vectors per image")->capture_default_str();
    s->add_option("--layers", args->layers, "comma-separated layers to report (default: input, conv, linear, add, concat)");
    add_fit_options(s, args->fit);
    s->add_option("--batch-size", args->batch, "images per backward batch")->capture_default_str();
    add_common_options(s, args->common);
    s->footer("Methods (option=default; `sanity list` shows every option):\n" + api::synopsis("methods"));
    return s;
  };
  c.execute = [args] { return run_csc(*args); };
  return c;
}

}  // namespace sanity::cli
