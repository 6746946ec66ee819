// sanity csc: Cosine Similarity Convergence (Sixt et al. 2020) of modified-backprop methods; writes
// csc.csv and csc.json (per method and layer: median, mean, percentiles, Gaussian baseline).
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/runtime.h"
#include "data/sources.h"
#include "metrics/csc.h"
#include "models/model_io.h"

namespace sanity::cli {
namespace {

struct CscArgs {
  CommonOptions common;
  DataArgs data;
  FitArgs fit;
  std::string model, out, inject, start = "random", layers;
  std::string methods =
      "lrp_zplus,lrp_alpha1beta0,lrp_alpha2beta1,lrp_epsilon_plus_flat,deep_taylor,excitation_backprop,"
      "pattern_attribution,rectgrad,lrp_z,deeplift,gradient";
  int64_t batch = 8;
  int samples = 5;
};

int run_csc(const CscArgs& a) {
  apply_common_options(a.common);
  const torch::Device device = parse_device(a.common.device);
  Graph g = load_model(a.model);
  g.to(device);
  DataArgs data_args = a.data;
  const DataOptions data_options = finish_data_options(data_args, a.common);
  const uint64_t seed = data_options.testbed.seed;
  const LoadedData loaded = load_data(data_options);
  const Dataset& images = loaded.data;
  g.check_input(images.images, "--data " + data_options.spec);

  std::vector<MethodSpec> specs = parse_method_list(a.methods);
  if (specs.empty()) throw InputError("--methods: give at least one method");
  std::vector<BackpropMethodPtr> methods;
  for (const auto& s : specs) methods.push_back(csc_method(s));
  const FitContext fit = load_fit_context(a.fit, data_options, a.model, specs);

  std::vector<CscOptions::Start> starts;
  if (a.start == "random" || a.start == "both") starts.push_back(CscOptions::Start::Random);
  if (a.start == "classes" || a.start == "both") starts.push_back(CscOptions::Start::TwoClasses);
  if (starts.empty()) throw InputError("--start '" + a.start + "': expected random, classes or both");

  AttributionContext ctx{g, a.batch * a.samples, seed, loaded.ids};
  if (fit.data.size() > 0) ctx.fit_data = &fit.data;
  ctx.cache_dir = fit.cache_dir;
  CscOptions o;
  o.inject = a.inject;
  o.samples = a.samples;
  o.seed = seed;
  o.images_per_batch = a.batch;
  for (size_t i = 0, j; i < a.layers.size(); i = j + 1) {
    j = a.layers.find(',', i);
    if (j == std::string::npos) j = a.layers.size();
    if (j > i) o.layers.push_back(a.layers.substr(i, j - i));
  }

  std::filesystem::create_directories(a.out);
  nlohmann::json j;
  j["model"] = a.model;
  j["data"] = images.name;
  j["images"] = images.size();
  j["seed"] = seed;
  j["samples"] = a.samples;
  std::ofstream csv(a.out + "/csc.csv");
  csv << "method,start,inject,layer,node,channels,positions,count,dropped,median,mean,q05,q25,q75,q95,"
         "baseline_median\n";
  const Tensor x = images.images.to(device);
  for (auto start : starts) {
    o.start = start;
    for (const auto& m : methods) {
      const auto t0 = std::chrono::steady_clock::now();
      CscResult r = cosine_similarity_convergence(ctx, *m, x, o);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      nlohmann::json jm{{"method", r.method}, {"start", r.start}, {"inject", r.inject}, {"images", r.images},
                        {"seconds", secs}};
      const CscLayer* lowest = nullptr;  // the lowest layer with more than one channel
      for (const auto& l : r.layers) {
        csv << '"' << r.method << '"' << "," << r.start << "," << r.inject << "," << l.name << "," << l.node << "," << l.channels
            << "," << l.positions << "," << l.count << "," << l.dropped << "," << l.median << "," << l.mean << ","
            << l.q05 << "," << l.q25 << "," << l.q75 << "," << l.q95 << "," << l.baseline_median << "\n";
        jm["layers"].push_back({{"layer", l.name}, {"node", l.node}, {"channels", l.channels},
                                {"positions", l.positions}, {"count", l.count}, {"dropped", l.dropped},
                                {"median", l.median}, {"mean", l.mean}, {"q05", l.q05}, {"q25", l.q25},
                                {"q75", l.q75}, {"q95", l.q95}, {"baseline_median", l.baseline_median}});
        if (l.channels > 1 && l.count > 0) lowest = &l;
      }
      j["results"].push_back(jm);
      if (!a.common.quiet && lowest)
        std::fprintf(stderr, "%-40s %-11s lowest layer %s: median |cos| %.4f (Gaussian %.4f), %.1f s\n",
                     r.method.c_str(), r.start.c_str(), lowest->name.c_str(), lowest->median,
                     lowest->baseline_median, secs);
    }
  }
  std::ofstream(a.out + "/csc.json") << j.dump(2) << "\n";
  std::printf("wrote %s/csc.csv and %s/csc.json\n", a.out.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

Command make_csc_command() {
  auto args = std::make_shared<CscArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("csc", "Cosine Similarity Convergence of modified-backprop methods (Sixt et al. 2020)");
    s->add_option("--model", args->model, "an .onnx file, or cnn / mlp")->required();
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
    return s;
  };
  c.execute = [args] { return run_csc(*args); };
  return c;
}

}  // namespace sanity::cli
