// sanity faithfulness: pixel flipping (MoRF/LeRF curves, AOPC) and insertion/deletion (curves, AUC)
// per method on one model and test bed: OUT/curves.csv, OUT/scores.csv, OUT/ranking.csv,
// OUT/faithfulness.json, and the same measures in OUT/results.sqlite (check pixel_flipping).
#include <nlohmann/json.hpp>

#include "api/faithfulness_files.h"
#include "api/listing.h"
#include "cli/commands.h"
#include "cli/setting_flags.h"
#include "core/files.h"
#include "core/error.h"
#include "core/runtime.h"
#include "models/model_io.h"

namespace sanity::cli {
namespace {

struct FaithfulnessArgs {
  CommonOptions common;
  DataArgs data;
  FitArgs fit;
  FaithfulnessOptions options;
  nlohmann::json given = nlohmann::json::object();  // the protocol's flags (faithfulness_settings)
  std::string model, methods, out;
  int64_t batch_size = 256;
};

int run_faithfulness(FaithfulnessArgs& a) {
  apply_common_options(a.common);
  if (a.model.empty()) throw InputError("--model: missing; give an .onnx file, or cnn|mlp|vit (untrained built-ins)");
  if (a.batch_size < 1) throw InputError("--batch-size " + std::to_string(a.batch_size) + ": must be at least 1");
  ensure_directory(a.out, "--out");
  faithfulness_settings().apply_flags(a.given, a.options, cli_flag());
  api::FaithfulnessRequest request;
  request.methods = parse_method_list(a.methods);
  api::make_methods(request.methods);  // a typo should not cost a model load
  const torch::Device device = parse_device(a.common.device);
  request.precision = parse_precision(a.common.precision, device);

  const DataOptions data_options = finish_data_options(a.data, a.common);
  const uint64_t seed = data_options.testbed.seed;
  Graph model = load_model(a.model, seed);
  model.to(device);
  const LoadedData loaded = load_data(data_options);
  const Dataset& data = loaded.data;
  const api::FitContext fit = api::load_fit_context(a.fit.source, data_options, a.model, request.methods);
  request.options = a.options;
  request.batch_size = a.batch_size;
  request.seed = seed;
  request.fit = &fit;
  request.data_name = "--data " + data_options.spec;

  api::FaithfulnessFiles files(a.out, api::faithfulness_run(a.model, model, data_options, loaded, a.options, request.precision));
  const api::FaithfulnessRun run =
      api::faithfulness(model, data.images, loaded.ids, request, [&](const api::MethodFaithfulness& m) {
        files.add(m, loaded.ids);
        if (a.common.quiet) return;
        std::fprintf(stderr, "%-40s %-8s AOPC MoRF %.4f  LeRF %.4f  gap %.4f  insertion %.4f  deletion %.4f  (%.1f s)\n",
                     m.spec.c_str(), m.by_magnitude ? "absolute" : "signed", m.means.at("aopc_morf"),
                     m.means.at("aopc_lerf"), m.means.at("aopc_gap"), m.means.at("insertion_auc"),
                     m.means.at("deletion_auc"), m.seconds);
      });
  files.finish(run.ranking, api::faithfulness_header(a.model, data_options, data, a.options, a.batch_size));
  std::printf("wrote faithfulness of %zu method(s) on %lld images to %s (run %lld in results.sqlite)\n",
              request.methods.size(), (long long)data.size(), a.out.c_str(), (long long)files.run_id());
  return 0;
}

}  // namespace

Command make_faithfulness_command() {
  auto a = std::make_shared<FaithfulnessArgs>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand("faithfulness",
                                 "Pixel flipping (MoRF/LeRF curves, AOPC; Samek et al. 2017) and insertion/deletion "
                                 "(Petsiuk et al. 2018) per method: OUT/curves.csv, scores.csv, ranking.csv, "
                                 "faithfulness.json, results.sqlite");
    s->add_option("--model", a->model, "an .onnx file, or cnn / mlp / vit (the built-in architecture, untrained)")->required();
    s->add_option("--methods", a->methods, "comma-separated method specs, e.g. gradient,integrated_gradients,noise")
        ->required();
    s->add_option("--out", a->out, "output directory")->required();
    s->add_option("--batch-size", a->batch_size, "perturbed images through the network at once")->capture_default_str();
    add_setting_flags(s, faithfulness_settings(), FaithfulnessOptions{}, a->given);
    add_data_options(s, a->data, 200);
    add_fit_options(s, a->fit);
    add_common_options(s, a->common);
    add_precision_option(s, a->common);
    s->footer("Methods (option=default; `sanity list` shows every option):\n" + api::synopsis("methods"));
    return s;
  };
  c.execute = [a] { return run_faithfulness(*a); };
  return c;
}

}  // namespace sanity::cli
