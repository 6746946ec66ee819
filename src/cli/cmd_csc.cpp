// sanity csc: Cosine Similarity Convergence (Sixt et al. 2020) of modified-backprop methods; writes
// csc.csv and csc.json (per method and layer: median, mean, percentiles, Gaussian baseline).
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "data/npy.h"
#include "data/sources.h"
#include "metrics/csc.h"
#include "models/model_io.h"

namespace sanity::cli {
namespace {

struct CscArgs {
  CommonOptions common;
  std::string model, data, split = "test", fit_data, out, inject, start = "random", layers;
  std::string methods =
      "lrp_zplus,lrp_alpha1beta0,lrp_alpha2beta1,lrp_epsilon_plus_flat,deep_taylor,excitation_backprop,"
      "pattern_attribution,rectgrad,lrp_z,deeplift,gradient";
  int64_t count = 200, fit_count = 5000, batch = 8;
  uint64_t seed = 0;
  int samples = 5;
};

// A seeded random subset of `count` images (all if fewer); ids are the images' indices in the source.
// (Stand-in until the shared test-bed loader lands.)
Dataset load_images(const std::string& spec, const std::string& split, int64_t count, uint64_t seed,
                    const std::string& data_dir, Tensor* ids = nullptr) {
  Dataset d;
  if (is_builtin_dataset(spec)) {
    d = load_builtin_dataset(spec, split, data_dir);
  } else if (spec.size() > 4 && spec.substr(spec.size() - 4) == ".npy") {
    d.name = spec;
    d.images = read_npy(spec).to(torch::kFloat32);
    if (d.images.dim() != 4) throw InputError("--data " + spec + ": expected an [N, C, H, W] array");
    d.labels = torch::full({d.images.size(0)}, -1, torch::kInt64);
  } else {
    throw InputError("--data '" + spec + "': expected mnist, fashion-mnist or an .npy file of [N, C, H, W] images");
  }
  Tensor index = torch::arange(d.size(), torch::kInt64);
  if (count > 0 && count < d.size()) {
    const Tensor perm = torch::randperm(d.size(), make_generator(derive_seed(seed, "testbed")));
    index = std::get<0>(perm.narrow(0, 0, count).sort());
    d = d.select(index);
  }
  if (ids) *ids = index;
  return d;
}

int run_csc(const CscArgs& a) {
  apply_common_options(a.common);
  const torch::Device device = parse_device(a.common.device);
  Graph g = load_model(a.model);
  g.to(device);
  Tensor ids;
  Dataset images = load_images(a.data, a.split, a.count, a.seed, a.common.data_dir, &ids);
  g.check_input(images.images, "--data " + a.data);

  std::vector<MethodSpec> specs = parse_method_list(a.methods);
  if (specs.empty()) throw InputError("--methods: give at least one method");
  std::vector<BackpropMethodPtr> methods;
  bool needs_fit = false;
  for (const auto& s : specs) {
    methods.push_back(csc_method(s));
    needs_fit = needs_fit || s.name.rfind("pattern_", 0) == 0;
  }
  Dataset fit;
  const std::string fit_spec = !a.fit_data.empty() ? a.fit_data : (is_builtin_dataset(a.data) ? a.data : "");
  if (needs_fit && !fit_spec.empty()) fit = load_images(fit_spec, "train", a.fit_count, a.seed, a.common.data_dir);

  std::vector<CscOptions::Start> starts;
  if (a.start == "random" || a.start == "both") starts.push_back(CscOptions::Start::Random);
  if (a.start == "classes" || a.start == "both") starts.push_back(CscOptions::Start::TwoClasses);
  if (starts.empty()) throw InputError("--start '" + a.start + "': expected random, classes or both");

  AttributionContext ctx{g, a.batch * a.samples, a.seed, ids};
  if (fit.size() > 0) ctx.fit_data = &fit;
  if (std::filesystem::path(a.model).extension() == ".onnx")
    ctx.cache_dir = std::filesystem::absolute(a.model).parent_path().string();
  CscOptions o;
  o.inject = a.inject;
  o.samples = a.samples;
  o.seed = a.seed;
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
  j["seed"] = a.seed;
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
    s->add_option("--data", args->data, "mnist, fashion-mnist, or an .npy file of [N, C, H, W] images")->required();
    s->add_option("--split", args->split, "train or test (built-in data)")->capture_default_str();
    s->add_option("--count", args->count, "images (a seeded random subset; 0: all)")->capture_default_str();
    s->add_option("--seed", args->seed, "seed for the subset and the random vectors")->capture_default_str();
    s->add_option("--methods", args->methods, "comma-separated method specs")->capture_default_str();
    s->add_option("--out", args->out, "output directory")->required();
    s->add_option("--inject", args->inject, "layer whose backward signal is replaced (default: the logits)");
    s->add_option("--start", args->start, "random (5 Gaussian vectors), classes (two one-hot classes) or both")
        ->capture_default_str();
    s->add_option("--samples", args->samples, "random vectors per image")->capture_default_str();
    s->add_option("--layers", args->layers, "comma-separated layers to report (default: input, conv, linear, add, concat)");
    s->add_option("--fit-data", args->fit_data, "training images for pattern methods (default: --data's train split)");
    s->add_option("--fit-count", args->fit_count, "training images used to fit patterns")->capture_default_str();
    s->add_option("--batch-size", args->batch, "images per backward batch")->capture_default_str();
    add_common_options(s, args->common);
    return s;
  };
  c.execute = [args] { return run_csc(*args); };
  return c;
}

}  // namespace sanity::cli
