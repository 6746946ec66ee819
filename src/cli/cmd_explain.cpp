// sanity explain: attribution maps for a model and data, one .npy array per method (N x C x H x W
// float32, in input order), a PNG heatmap per image, and explain.json with every option used.
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "attribution/gradcam.h"
#include "attribution/heatmap.h"
#include "attribution/registry.h"
#include "cli/commands.h"
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

// A file-name-safe stem for a method spec: "smoothgrad(guided_backprop, n=50)" ->
// "smoothgrad--guided_backprop--n=50". Parentheses and commas become "--"; explain.json maps back.
std::string file_stem(const MethodSpec& spec) {
  const std::string text = spec.str();
  std::string s;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || std::string("_.=+-").find(c) != std::string::npos) s += c;
    else if (c == '(' || c == ',') s += "--";
    else if (c == ')' || c == ' ') continue;
    else s += '_';
  }
  return s;
}

// The GradCAM layer a spec (or a method it wraps) reads, resolved on this model; "" if none.
std::string gradcam_layer_of(const Graph& g, const MethodSpec& spec) {
  if (spec.name == "gradcam" || spec.name == "guided_gradcam")
    return g.node(gradcam_layer(g, spec.get_string("layer", "auto"))).name;
  for (const auto& m : spec.methods)
    if (std::string l = gradcam_layer_of(g, m); !l.empty()) return l;
  return "";
}

Tensor choose_targets(const std::string& how, const Dataset& data, const Tensor& predicted, int64_t classes) {
  if (how == "predicted") return predicted;
  if (how == "true") {
    if (data.labels.numel() && data.labels.min().item<int64_t>() < 0)
      throw InputError("--target true: " + data.name + " has no labels for some images (give --labels)");
    if (data.labels.numel() && data.labels.max().item<int64_t>() >= classes)
      throw InputError("--target true: a label is >= the model's " + std::to_string(classes) + " outputs");
    return data.labels.clone();
  }
  char* end = nullptr;
  const long long c = std::strtoll(how.c_str(), &end, 10);
  if (how.empty() || *end || c < 0 || c >= classes)
    throw InputError("--target " + how + ": expected predicted, true, or a class 0.." + std::to_string(classes - 1));
  return torch::full({data.size()}, static_cast<int64_t>(c), torch::kInt64);
}

std::vector<int64_t> to_vector(const Tensor& t) {
  Tensor c = t.to(torch::kCPU, torch::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<double> to_doubles(const Tensor& t) {
  Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

int run_explain(ExplainArgs& a) {
  apply_common_options(a.common);
  if (!a.model.empty() && !a.builtin.empty()) throw InputError("--model and --builtin: give one of them");
  const std::string model_spec = a.model.empty() ? a.builtin : a.model;
  if (model_spec.empty()) throw InputError("--model: missing; give an .onnx file, or --builtin cnn|mlp");
  if (a.batch_size < 1) throw InputError("--batch-size " + std::to_string(a.batch_size) + ": must be at least 1");
  if (a.clip <= 50 || a.clip > 100) throw InputError("--clip " + std::to_string(a.clip) + ": expected a percentile in (50, 100]");
  if (a.overlay < 0 || a.overlay > 1) throw InputError("--overlay: expected a weight in [0, 1]");
  if (a.heatmap != "absolute" && a.heatmap != "signed")
    throw InputError("--heatmap " + a.heatmap + ": expected absolute or signed");

  // Methods first: a typo should not cost a model load.
  std::vector<MethodSpec> specs = parse_method_list(a.methods);
  if (specs.empty()) throw InputError("--methods: empty; give a comma-separated list such as gradient,smoothgrad(gradient)");
  std::vector<MethodPtr> methods;
  for (const auto& s : specs) methods.push_back(MethodRegistry::instance().make(s));

  // Every image of a folder or .npy unless --count says otherwise; a test bed of 200 from a dataset.
  if (a.app->get_option("--count")->count() == 0 && !is_builtin_dataset(a.data.options.spec))
    a.data.options.testbed.count = 0;
  const DataOptions data_options = finish_data_options(a.data, a.common);
  const torch::Device device = parse_device(a.common.device);
  Graph model = load_model(model_spec, a.data.options.testbed.seed);
  model.to(device);
  LoadedData loaded = load_data(data_options);
  const Dataset& data = loaded.data;
  model.check_input(data.images, "--data " + data_options.spec);
  const Tensor x = data.images.to(device);
  const FitContext fit = load_fit_context(a.fit, data_options, model_spec, specs);

  const Tensor logits = predict_logits(model, x, a.batch_size);
  const Tensor predicted = logits.argmax(1).cpu();
  const Tensor targets = choose_targets(a.target, data, predicted, logits.size(1));

  HeatmapOptions heat;
  heat.signed_map = a.heatmap == "signed";
  heat.reduction = parse_channel_reduction(a.reduce.empty() ? (heat.signed_map ? "sum" : "sum_abs") : a.reduce);
  heat.clip = a.clip;
  heat.overlay = a.overlay;

  std::filesystem::create_directories(a.out);
  nlohmann::json j;
  j["command"] = "explain";
  j["model"] = model_spec;
  j["model_untrained_builtin"] = model_spec == "cnn" || model_spec == "mlp";
  j["data"] = {{"source", data_options.spec}, {"name", data.name}, {"split", data_options.split},
               {"count", data.size()}, {"testbed_seed", data_options.testbed.seed},
               {"balanced", data_options.testbed.balanced}};
  j["image_ids"] = to_vector(loaded.ids);
  j["labels"] = to_vector(data.labels);
  j["predicted"] = to_vector(predicted);
  j["target"] = a.target;
  j["targets"] = to_vector(targets);
  j["options"] = {{"batch_size", a.batch_size}, {"seed", data_options.testbed.seed}, {"device", a.common.device},
                  {"threads", torch::get_num_threads()}};
  j["heatmaps"] = {{"written", !a.no_png}, {"kind", a.heatmap}, {"reduction", a.reduce.empty() ? (heat.signed_map ? "sum" : "sum_abs") : a.reduce},
                   {"clip_percentile", a.clip}, {"overlay", a.overlay}, {"min_size", heat.min_size}};
  j["methods"] = nlohmann::json::array();

  // GradCAM layers resolve on this model: a wrong name fails here, before any work.
  std::vector<std::string> cam_layers;
  for (const auto& s : specs) cam_layers.push_back(gradcam_layer_of(model, s));

  std::set<std::string> used;
  for (size_t m = 0; m < methods.size(); ++m) {
    std::string stem = file_stem(specs[m]);
    for (int k = 2; used.count(stem); ++k) stem = file_stem(specs[m]) + "-" + std::to_string(k);
    used.insert(stem);

    std::map<std::string, Tensor> diagnostics;
    AttributionContext ctx{model, a.batch_size, data_options.testbed.seed, loaded.ids, &diagnostics};
    if (fit.data.size() > 0) ctx.fit_data = &fit.data;
    ctx.cache_dir = fit.cache_dir;
    const auto start = std::chrono::steady_clock::now();
    const Tensor maps = methods[m]->attribute(ctx, x, targets.to(device)).to(torch::kCPU, torch::kFloat32);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_npy(a.out + "/" + stem + ".npy", maps);

    nlohmann::json e{{"spec", specs[m].str()},
                     {"canonical", methods[m]->spec().str()},
                     {"file", stem + ".npy"},
                     {"uses_model", methods[m]->uses_model()},
                     {"seconds", seconds},
                     {"maps_per_second", seconds > 0 ? data.size() / seconds : 0.0}};
    if (!cam_layers[m].empty()) e["gradcam_layer"] = cam_layers[m];
    for (const auto& [name, values] : diagnostics) e["diagnostics"][name] = to_doubles(values);
    if (!a.no_png) {
      const std::string dir = a.out + "/" + stem;
      std::filesystem::create_directories(dir);
      const std::vector<int64_t> ids = to_vector(loaded.ids);
      for (int64_t i = 0; i < maps.size(0); ++i)
        write_png(dir + "/" + std::to_string(ids[i]) + ".png", render_heatmap(maps[i], heat, data.images[i]));
      e["heatmaps"] = stem + "/<image id>.png";
    }
    j["methods"].push_back(e);
    std::string note;
    if (diagnostics.count("completeness_gap")) {
      const Tensor gap = diagnostics["completeness_gap"].abs();
      const Tensor rel = gap / diagnostics["output_difference"].abs().clamp_min(1e-12);
      char buf[128];
      std::snprintf(buf, sizeof buf, "; completeness gap mean %.3g (%.2f%% of S(x) - S(x'))",
                    gap.mean().item<double>(), 100 * rel.mean().item<double>());
      note = buf;
    }
    if (a.common.quiet) continue;
    std::fprintf(stderr, "%s: %lld maps in %.2f s (%.1f/s) -> %s/%s.npy%s\n", specs[m].str().c_str(),
                 (long long)data.size(), seconds, seconds > 0 ? data.size() / seconds : 0.0, a.out.c_str(),
                 stem.c_str(), note.c_str());
  }
  std::ofstream(a.out + "/explain.json") << j.dump(2) << "\n";
  std::printf("wrote %zu method(s) for %lld images to %s (explain.json lists the files)\n", methods.size(),
              (long long)data.size(), a.out.c_str());
  return 0;
}

std::string methods_help() {
  std::string s = "comma-separated methods, name(key=value, ...); wrappers take a method first, e.g. "
                  "smoothgrad(guided_backprop, n=50, sigma=0.15). Valid:";
  for (const auto& m : MethodRegistry::instance().methods()) s += " " + m.name;
  return s;
}

}  // namespace

Command make_explain_command() {
  auto args = std::make_shared<ExplainArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("explain", "Attribution maps: DIR/<method>.npy (N x C x H x W float32), PNG heatmaps, explain.json");
    s->add_option("--model", args->model,
                  "an .onnx file, or cnn / mlp: the built-in architecture UNTRAINED (random weights from --seed; "
                  "train one with `sanity train`)");
    s->add_option("--builtin", args->builtin, "cnn or mlp: same as --model cnn|mlp (untrained)")
        ->check(CLI::IsMember({"cnn", "mlp"}));
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
              "baseline=zero)' ...; a wrong name or option lists the valid ones.");
    args->app = s;
    add_common_options(s, args->common);
    return s;
  };
  c.execute = [args] { return run_explain(*args); };
  return c;
}

}  // namespace sanity::cli
