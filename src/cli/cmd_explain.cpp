// sanity explain: attribution maps for a model and data, one .npy array per method (N x C x H x W
// float32, in input order), a PNG heatmap per image, and explain.json with every option used.
#include <nlohmann/json.hpp>


#include "api/explain_files.h"
#include "api/listing.h"
#include "attribution/registry.h"
#include "cli/commands.h"
#include "core/build_info.h"
#include "core/files.h"
#include "core/error.h"
#include "core/runtime.h"
#include "data/npy.h"
#include "data/sources.h"
#include "models/model_io.h"
#include "models/train.h"

namespace sanity::cli {
namespace {

struct ExplainArgs {
  CommonOptions common;
  DataArgs data;
  FitArgs fit;
  std::string model, builtin, methods, target = "predicted", out;
  int64_t batch_size = 64;
  bool no_png = false;
  std::string heatmap = "absolute", reduce;
  double clip = 99.5, overlay = 0.0;
  CLI::App* app = nullptr;
};

nlohmann::json explain_header(const ExplainArgs& a, const std::string& model_spec, const DataOptions& data_options,
                              const LoadedData& loaded, const api::ExplainRun& run, const HeatmapOptions& heat) {
  const Dataset& data = loaded.data;
  nlohmann::json j;
  j["command"] = "explain";
  j["model"] = model_spec;
  j["model_untrained_builtin"] = model_spec == "cnn" || model_spec == "mlp" || model_spec == "vit";
  j["data"] = {{"source", data_options.spec}, {"name", data.name}, {"split", data_options.split},
               {"count", data.size()}, {"testbed_seed", data_options.testbed.seed},
               {"balanced", data_options.testbed.balanced}};
  j["image_ids"] = api::to_int64s(loaded.ids);
  j["labels"] = api::to_int64s(data.labels);
  j["predicted"] = api::to_int64s(run.predicted);
  j["target"] = a.target;
  j["targets"] = api::to_int64s(run.targets);
  j["options"] = {{"batch_size", a.batch_size}, {"seed", data_options.testbed.seed}, {"device", a.common.device},
                  {"precision", a.common.precision}, {"threads", torch::get_num_threads()}};
  j["heatmaps"] = {{"written", !a.no_png}, {"kind", a.heatmap}, {"reduction", a.reduce.empty() ? (heat.signed_map ? "sum" : "sum_abs") : a.reduce},
                   {"clip_percentile", a.clip}, {"overlay", a.overlay}, {"min_size", heat.min_size}};
  return j;
}

// "; completeness gap mean 0.012 (0.40% of S(x) - S(x'))" for IG, else "".
std::string completeness_note(const api::MethodMaps& m) {
  if (!m.diagnostics.count("completeness_gap")) return "";
  const Tensor gap = m.diagnostics.at("completeness_gap").abs();
  const Tensor rel = gap / m.diagnostics.at("output_difference").abs().clamp_min(1e-12);
  char buf[128];
  std::snprintf(buf, sizeof buf, "; completeness gap mean %.3g (%.2f%% of S(x) - S(x'))", gap.mean().item<double>(),
                100 * rel.mean().item<double>());
  return buf;
}

int run_explain(ExplainArgs& a) {
  apply_common_options(a.common);
  if (!a.model.empty() && !a.builtin.empty()) throw InputError("--model and --builtin: give one of them");
  const std::string model_spec = a.model.empty() ? a.builtin : a.model;
  if (model_spec.empty()) throw InputError("--model: missing; give an .onnx file, or --builtin cnn|mlp|vit");
  if (a.batch_size < 1) throw InputError("--batch-size " + std::to_string(a.batch_size) + ": must be at least 1");
  if (a.clip <= 50 || a.clip > 100) throw InputError("--clip " + std::to_string(a.clip) + ": expected a percentile in (50, 100]");
  if (a.overlay < 0 || a.overlay > 1) throw InputError("--overlay: expected a weight in [0, 1]");
  if (a.heatmap != "absolute" && a.heatmap != "signed")
    throw InputError("--heatmap " + a.heatmap + ": expected absolute or signed");
  if (!a.no_png) require_opencv("heatmap PNG", "give --no-png (the .npy maps are written) and draw them with a full build");
  ensure_directory(a.out, "--out");
  HeatmapOptions heat;
  heat.signed_map = a.heatmap == "signed";
  heat.reduction = parse_channel_reduction(a.reduce.empty() ? (heat.signed_map ? "sum" : "sum_abs") : a.reduce);
  heat.clip = a.clip;
  heat.overlay = a.overlay;

  // Methods first: a typo should not cost a model load.
  api::ExplainRequest request;
  request.methods = parse_method_list(a.methods);
  api::make_methods(request.methods);
  const torch::Device device = parse_device(a.common.device);
  request.precision = parse_precision(a.common.precision, device);

  // Every image of a folder or .npy unless --count says otherwise; a test bed of 200 from a dataset.
  if (a.app->get_option("--count")->count() == 0 && !is_builtin_dataset(a.data.options.spec))
    a.data.options.testbed.count = 0;
  const DataOptions data_options = finish_data_options(a.data, a.common);
  Graph model = load_model(model_spec, data_options.testbed.seed);
  model.to(device);
  const LoadedData loaded = load_data(data_options);
  const api::FitContext fit = api::load_fit_context(a.fit.source, data_options, model_spec, request.methods);
  request.target = a.target;
  request.batch_size = a.batch_size;
  request.seed = data_options.testbed.seed;
  request.fit = &fit;
  request.data_name = "--data " + data_options.spec;

  api::ExplanationFiles files(a.out, !a.no_png, heat);
  const auto write = [&](const api::MethodMaps& m) {
    const std::string stem = files.add(m, loaded.data, loaded.ids);
    if (a.common.quiet) return;
    const long long n = m.maps.size(0);
    std::fprintf(stderr, "%s: %lld maps in %.2f s (%.1f/s) -> %s/%s.npy%s\n", m.given.str().c_str(), n, m.seconds,
                 m.seconds > 0 ? n / m.seconds : 0.0, a.out.c_str(), stem.c_str(), completeness_note(m).c_str());
  };
  const api::ExplainRun run = api::explain(model, loaded.data, loaded.ids, request, write);
  files.finish(explain_header(a, model_spec, data_options, loaded, run, heat));
  std::printf("wrote %zu method(s) for %lld images to %s (explain.json lists the files)\n", request.methods.size(),
              (long long)loaded.data.size(), a.out.c_str());
  return 0;
}

std::string methods_help() {
  return "comma-separated methods, name(key=value, ...); wrappers take a method first, e.g. "
         "smoothgrad(guided_backprop, n=50, sigma=0.15). Valid: " + MethodRegistry::instance().names();
}

}  // namespace

Command make_explain_command() {
  auto args = std::make_shared<ExplainArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("explain", "Attribution maps: DIR/<method>.npy (N x C x H x W float32), PNG heatmaps, explain.json");
    s->add_option("--model", args->model,
                  "an .onnx file, or cnn / mlp / vit: the built-in architecture UNTRAINED (random weights from --seed; "
                  "train one with `sanity train`)");
    s->add_option("--builtin", args->builtin, "cnn, mlp or vit: same as --model cnn|mlp|vit (untrained)")
        ->check(CLI::IsMember({"cnn", "mlp", "vit"}));
    s->add_option("--methods", args->methods, methods_help())->required();
    s->add_option("--target", args->target, "class explained: predicted, true (the labels), or a class index")
        ->capture_default_str();
    s->add_option("--batch-size", args->batch_size,
                  "most rows through the network at once (SmoothGrad samples and IG steps are batched)")
        ->capture_default_str();
    s->add_option("--out", args->out, "output directory")->required();
    s->add_flag("--no-png", args->no_png, "write no heatmap PNGs");
    s->add_option("--heatmap", args->heatmap, "absolute (sequential colormap) or signed (diverging)")
        ->capture_default_str();
    s->add_option("--reduce", args->reduce, "channel reduction for heatmaps: sum_abs, sum or max_abs "
                                            "(default sum_abs for absolute, sum for signed)");
    s->add_option("--clip", args->clip, "heatmaps: clip at this percentile")->capture_default_str();
    s->add_option("--overlay", args->overlay, "heatmaps: blend over the input with this weight (0: none)")
        ->capture_default_str();
    add_data_options(s, args->data, 200);
    add_fit_options(s, args->fit);
    s->footer("--count defaults to every image of an image folder or .npy file, and to a test bed of 200 images\n"
              "of mnist / fashion-mnist. Method options: sanity explain --methods 'integrated_gradients(steps=64,\n"
              "baseline=zero)' ...; a wrong name or option lists the valid ones.\n\nMethods (option=default):\n" +
              api::synopsis("methods") + "\nLRP rules (entries of rules=FILE.json):\n" + api::synopsis("rules") +
              "\n`sanity list` shows every option with its type and meaning.");
    args->app = s;
    add_common_options(s, args->common);
    add_precision_option(s, args->common);
    return s;
  };
  c.execute = [args] { return run_explain(*args); };
  return c;
}

}  // namespace sanity::cli
