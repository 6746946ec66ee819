// sanity faithfulness: pixel flipping (MoRF/LeRF curves, AOPC) and insertion/deletion (curves, AUC)
// per method on one model and test bed: OUT/curves.csv, OUT/scores.csv, OUT/ranking.csv,
// OUT/faithfulness.json, and the same measures in OUT/results.sqlite (check pixel_flipping).
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "attribution/registry.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/runtime.h"
#include "data/sources.h"
#include "faithfulness/faithfulness.h"
#include "faithfulness/ranking.h"
#include "faithfulness/record.h"
#include "models/model_io.h"
#include "models/train.h"
#include "study/explain_batch.h"

namespace sanity::cli {
namespace {

struct FaithfulnessArgs {
  CommonOptions common;
  DataArgs data;
  FitArgs fit;
  FaithfulnessOptions options;
  std::string model, methods, out;
  int64_t batch_size = 256;
};

std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::vector<double> column_means(const Tensor& curve) {
  const Tensor m = curve.to(torch::kFloat64).nanmean(0).contiguous();
  return {m.data_ptr<double>(), m.data_ptr<double>() + m.numel()};
}

int run_faithfulness(FaithfulnessArgs& a) {
  apply_common_options(a.common);
  if (a.model.empty()) throw InputError("--model: missing; give an .onnx file, or cnn|mlp (untrained built-ins)");
  if (a.batch_size < 1) throw InputError("--batch-size " + std::to_string(a.batch_size) + ": must be at least 1");
  a.options.validate();
  std::vector<MethodSpec> specs = parse_method_list(a.methods);
  if (specs.empty()) throw InputError("--methods: empty; give a comma-separated list such as gradient,noise");
  std::vector<MethodPtr> methods;
  for (const auto& s : specs) methods.push_back(MethodRegistry::instance().make(s));

  const DataOptions data_options = finish_data_options(a.data, a.common);
  const uint64_t seed = data_options.testbed.seed;
  const torch::Device device = parse_device(a.common.device);
  Graph model = load_model(a.model, seed);
  model.to(device);
  LoadedData loaded = load_data(data_options);
  const Dataset& data = loaded.data;
  model.check_input(data.images, "--data " + data_options.spec);
  const Tensor x = data.images.to(device);
  const Tensor targets = predict_logits(model, x, a.batch_size).argmax(1).cpu();
  const Tensor ids = loaded.ids;
  const FitContext fit = load_fit_context(a.fit, data_options, a.model, specs);
  ExplainOptions explain_options{a.batch_size, seed, fit.data.size() > 0 ? &fit.data : nullptr, fit.cache_dir};

  std::filesystem::create_directories(a.out);
  ResultsStore store(a.out + "/results.sqlite");
  RunConfig rc;
  rc.model = a.model;
  rc.data = data_options.spec + ":" + data_options.split + ":" + std::to_string(data.size()) + ":seed" +
            std::to_string(seed) + (data_options.testbed.balanced ? ":balanced" : "");
  rc.options = {{"faithfulness", a.options.to_json()}, {"target", "predicted"}};
  rc.seed = seed;
  const int64_t run = store.open_run(rc);

  std::ofstream curves(a.out + "/curves.csv"), scores(a.out + "/scores.csv");
  curves << "method,image,curve,step,value\n";
  scores << "method,image,target";
  for (const auto& [name, unused] : per_image_scores(FaithfulnessResult{})) scores << "," << name;
  scores << "\n";
  curves.precision(9);
  scores.precision(9);
  const Tensor id = ids.to(torch::kInt64).contiguous(), tg = targets.to(torch::kInt64).contiguous();

  nlohmann::json j;
  j["command"] = "faithfulness";
  j["model"] = a.model;
  j["data"] = {{"source", data_options.spec}, {"split", data_options.split}, {"count", data.size()},
               {"testbed_seed", seed}, {"balanced", data_options.testbed.balanced}};
  j["target"] = "predicted";
  j["options"] = a.options.to_json();
  j["batch_size"] = a.batch_size;
  j["run_id"] = run;
  j["aopc"] = "AOPC = 1/(L+1) sum_{k=0..L} (S_c(x) - S_c(x^(k))), S_c = " + a.options.pixel_flipping.score;
  MethodScores table;
  for (size_t m = 0; m < methods.size(); ++m) {
    const std::string spec = methods[m]->spec().str();
    const auto start = std::chrono::steady_clock::now();
    const Tensor maps = explain_all(*methods[m], model, x, targets, ids, explain_options);
    const MapKind kind = methods[m]->map_kind();
    const FaithfulnessResult r = evaluate_faithfulness(model, x, maps, kind, targets, ids, a.options, a.batch_size, seed);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    record_faithfulness(store, run, spec, r, ids);

    const std::vector<std::pair<std::string, Tensor>> named{
        {"morf_prob", r.pixel_flipping.morf_prob},     {"lerf_prob", r.pixel_flipping.lerf_prob},
        {"morf_logit", r.pixel_flipping.morf_logit},   {"lerf_logit", r.pixel_flipping.lerf_logit},
        {"insertion_prob", r.insertion_deletion.insertion}, {"deletion_prob", r.insertion_deletion.deletion}};
    const char* order = orders_by_magnitude(a.options, kind) ? "absolute" : "signed";
    nlohmann::json e{{"spec", spec}, {"order", order}, {"seconds", seconds}};
    for (const auto& [name, c] : named) {
      const Tensor cc = c.contiguous();
      for (int64_t i = 0; i < cc.size(0); ++i)
        for (int64_t k = 0; k < cc.size(1); ++k)
          curves << csv_text(spec) << "," << id[i].item<int64_t>() << "," << name << "," << k << ","
                 << cc[i][k].item<double>() << "\n";
      e["mean_curves"][name] = column_means(c);
    }
    const auto per_image = per_image_scores(r);
    for (int64_t i = 0; i < x.size(0); ++i) {
      scores << csv_text(spec) << "," << id[i].item<int64_t>() << "," << tg[i].item<int64_t>();
      for (const auto& [name, s] : per_image) scores << "," << s[i].item<double>();
      scores << "\n";
    }
    const auto means = mean_scores(r);
    table[spec] = means;
    e["mean_scores"] = means;
    j["methods"].push_back(e);
    if (!a.common.quiet)
      std::fprintf(stderr, "%-40s %-8s AOPC MoRF %.4f  LeRF %.4f  gap %.4f  insertion %.4f  deletion %.4f  (%.1f s)\n",
                   spec.c_str(), order, means.at("aopc_morf"), means.at("aopc_lerf"), means.at("aopc_gap"),
                   means.at("insertion_auc"), means.at("deletion_auc"), seconds);
  }
  const RankingTable ranking = rank_methods(table, faithfulness_measures());
  j["ranking"] = ranking.to_json();
  std::ofstream(a.out + "/ranking.csv") << ranking.to_csv();
  std::ofstream(a.out + "/ranking_correlation.csv") << ranking.correlation_csv();
  std::ofstream(a.out + "/faithfulness.json") << j.dump(2) << "\n";
  std::printf("wrote faithfulness of %zu method(s) on %lld images to %s (run %lld in results.sqlite)\n",
              methods.size(), (long long)data.size(), a.out.c_str(), (long long)run);
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
    s->add_option("--model", a->model, "an .onnx file, or cnn / mlp (the built-in architecture, untrained)")->required();
    s->add_option("--methods", a->methods, "comma-separated method specs, e.g. gradient,integrated_gradients,noise")
        ->required();
    s->add_option("--out", a->out, "output directory")->required();
    s->add_option("--batch-size", a->batch_size, "perturbed images through the network at once")->capture_default_str();
    auto& pf = a->options.pixel_flipping;
    auto& id = a->options.insertion_deletion;
    s->add_option("--patch", pf.patch, "pixel flipping: region side in pixels (1: single pixels)")->capture_default_str();
    s->add_option("--replacement", pf.replacement, "pixel flipping: uniform, zero, mean or blur")->capture_default_str();
    s->add_option("--steps", pf.steps, "pixel flipping: regions replaced (0: all)")->capture_default_str();
    s->add_option("--blur-sigma", pf.blur_sigma, "pixel flipping: sigma of replacement=blur")->capture_default_str();
    s->add_option("--score", pf.score, "what AOPC averages: probability or logit")->capture_default_str();
    s->add_option("--pixels-per-step", id.pixels_per_step, "insertion/deletion: pixels per step (0: image width)")
        ->capture_default_str();
    s->add_option("--deletion-baseline", id.deletion_baseline, "deleted pixels become: zero, mean, blur or uniform")
        ->capture_default_str();
    s->add_option("--insertion-baseline", id.insertion_baseline, "insertion starts from: blur, zero, mean or uniform")
        ->capture_default_str();
    s->add_option("--insertion-blur-sigma", id.blur_sigma, "insertion/deletion: sigma of a blur baseline")
        ->capture_default_str();
    s->add_option("--order", a->options.order,
                  "what orders regions and pixels: auto (|map| for sensitivity maps such as the gradient and "
                  "Guided Backprop, the signed map for relevance maps such as LRP and IG), signed or absolute")
        ->capture_default_str();
    add_data_options(s, a->data, 200);
    add_fit_options(s, a->fit);
    add_common_options(s, a->common);
    return s;
  };
  c.execute = [a] { return run_faithfulness(*a); };
  return c;
}

}  // namespace sanity::cli
