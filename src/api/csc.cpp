#include "api/csc.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/progress.h"

namespace sanity::api {

const std::string& default_csc_methods() {
  static const std::string m =
      "lrp_zplus,lrp_alpha1beta0,lrp_alpha2beta1,lrp_epsilon_plus_flat,deep_taylor,excitation_backprop,"
      "pattern_attribution,rectgrad,lrp_z,deeplift,gradient";
  return m;
}

std::vector<CscOptions::Start> parse_csc_starts(const std::string& text) {
  std::vector<CscOptions::Start> starts;
  if (text == "random" || text == "both") starts.push_back(CscOptions::Start::Random);
  if (text == "classes" || text == "both") starts.push_back(CscOptions::Start::TwoClasses);
  if (starts.empty()) throw InputError("--start '" + text + "': expected random, classes or both");
  return starts;
}

void csc(const Graph& model, const Tensor& images, const Tensor& ids, const CscRequest& r,
         const std::function<void(const CscRun&)>& sink) {
  if (r.methods.empty()) throw InputError("--methods: give at least one method");
  std::vector<BackpropMethodPtr> methods;
  for (const auto& s : r.methods) methods.push_back(csc_method(s));
  model.check_input(images, r.data_name);
  AttributionContext ctx{model, r.options.images_per_batch * r.options.samples, r.options.seed, ids};
  if (r.fit) r.fit->apply(ctx);
  const Tensor x = images.to(model.device());
  CscOptions o = r.options;
  for (auto start : r.starts) {
    o.start = start;
    for (const auto& m : methods) {
      interruption_point();
      const auto t0 = std::chrono::steady_clock::now();
      CscRun run{cosine_similarity_convergence(ctx, *m, x, o), 0};
      run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      sink(run);
    }
  }
}

const CscLayer* lowest_layer(const CscResult& r) {
  const CscLayer* lowest = nullptr;
  for (const auto& l : r.layers)
    if (l.channels > 1 && l.count > 0) lowest = &l;
  return lowest;
}

void write_csc_files(const std::string& out, const std::vector<CscRun>& runs, nlohmann::json j) {
  std::filesystem::create_directories(out);
  std::ofstream csv(out + "/csc.csv");
  csv << "method,start,inject,layer,node,channels,positions,count,dropped,median,mean,q05,q25,q75,q95,"
         "baseline_median\n";
  for (const auto& [r, secs] : runs) {
    nlohmann::json jm{{"method", r.method}, {"start", r.start}, {"inject", r.inject}, {"images", r.images},
                      {"seconds", secs}};
    for (const auto& l : r.layers) {
      csv << '"' << r.method << '"' << "," << r.start << "," << r.inject << "," << l.name << "," << l.node << ","
          << l.channels << "," << l.positions << "," << l.count << "," << l.dropped << "," << l.median << ","
          << l.mean << "," << l.q05 << "," << l.q25 << "," << l.q75 << "," << l.q95 << "," << l.baseline_median
          << "\n";
      jm["layers"].push_back({{"layer", l.name}, {"node", l.node}, {"channels", l.channels},
                              {"positions", l.positions}, {"count", l.count}, {"dropped", l.dropped},
                              {"median", l.median}, {"mean", l.mean}, {"q05", l.q05}, {"q25", l.q25},
                              {"q75", l.q75}, {"q95", l.q95}, {"baseline_median", l.baseline_median}});
    }
    j["results"].push_back(jm);
  }
  std::ofstream(out + "/csc.json") << j.dump(2) << "\n";
}

}  // namespace sanity::api
