#include "api/faithfulness_files.h"

#include <filesystem>

#include "core/hash.h"
#include "faithfulness/record.h"
#include "models/fingerprint.h"
#include "results/export.h"

namespace sanity::api {
namespace {

std::vector<double> column_means(const Tensor& curve) {
  const Tensor m = curve.to(torch::kFloat64).nanmean(0).contiguous();
  return {m.data_ptr<double>(), m.data_ptr<double>() + m.numel()};
}

}  // namespace

RunConfig faithfulness_run(const std::string& model_name, const Graph& model, const DataOptions& data,
                           const LoadedData& loaded, const FaithfulnessOptions& options, Precision precision) {
  RunConfig rc;
  rc.model = model_name + "#" + model_fingerprint(model).hex(12);
  rc.data = data_identity(data, loaded);  // by content: other images at the same path are another run
  rc.options = {{"faithfulness", options.to_json()}, {"target", "predicted"}};
  if (precision != Precision::kFloat32) rc.options["precision"] = to_string(precision);  // float32: as before it was an option
  rc.seed = data.testbed.seed;
  return rc;
}

nlohmann::json faithfulness_header(const std::string& model_name, const DataOptions& data, const Dataset& tested,
                                   const FaithfulnessOptions& options, int64_t batch_size) {
  nlohmann::json j;
  j["command"] = "faithfulness";
  j["model"] = model_name;
  j["data"] = {{"source", data.spec}, {"split", data.split}, {"count", tested.size()},
               {"testbed_seed", data.testbed.seed}, {"balanced", data.testbed.balanced}};
  j["target"] = "predicted";
  j["options"] = options.to_json();
  j["batch_size"] = batch_size;
  j["aopc"] = "AOPC = 1/(L+1) sum_{k=0..L} (S_c(x) - S_c(x^(k))), S_c = " + options.pixel_flipping.score;
  return j;
}

FaithfulnessFiles::FaithfulnessFiles(std::string out, const RunConfig& run) : out_(std::move(out)) {
  std::filesystem::create_directories(out_);
  store_ = std::make_unique<ResultsStore>(out_ + "/results.sqlite");
  run_ = store_->open_run(run);
  curves_.open(out_ + "/curves.csv");
  scores_.open(out_ + "/scores.csv");
  curves_ << "method,image,curve,step,value\n";
  scores_ << "method,image,target";
  for (const auto& [name, unused] : per_image_scores(FaithfulnessResult{})) scores_ << "," << name;
  scores_ << "\n";
  curves_.precision(9);
  scores_.precision(9);
}

void FaithfulnessFiles::add(const MethodFaithfulness& m, const Tensor& ids) {
  record_faithfulness(*store_, run_, m.spec, m.result, ids);
  const Tensor id = ids.to(torch::kInt64).contiguous(), tg = m.targets.to(torch::kInt64).contiguous();
  nlohmann::json e{{"spec", m.spec}, {"order", m.by_magnitude ? "absolute" : "signed"}, {"seconds", m.seconds}};
  for (const auto& [name, c] : named_curves(m.result)) {
    const Tensor cc = c.contiguous();
    for (int64_t i = 0; i < cc.size(0); ++i)
      for (int64_t k = 0; k < cc.size(1); ++k)
        curves_ << csv_field(m.spec) << "," << id[i].item<int64_t>() << "," << name << "," << k << ","
                << cc[i][k].item<double>() << "\n";
    e["mean_curves"][name] = column_means(c);
  }
  const auto per_image = per_image_scores(m.result);
  for (int64_t i = 0; i < id.size(0); ++i) {
    scores_ << csv_field(m.spec) << "," << id[i].item<int64_t>() << "," << tg[i].item<int64_t>();
    for (const auto& [name, s] : per_image) scores_ << "," << s[i].item<double>();
    scores_ << "\n";
  }
  e["mean_scores"] = m.means;
  methods_.push_back(e);
}

void FaithfulnessFiles::finish(const RankingTable& ranking, nlohmann::json header) const {
  header["run_id"] = run_;
  header["methods"] = methods_;
  header["ranking"] = ranking.to_json();
  std::ofstream(out_ + "/ranking.csv") << ranking.to_csv();
  std::ofstream(out_ + "/ranking_correlation.csv") << ranking.correlation_csv();
  std::ofstream(out_ + "/faithfulness.json") << header.dump(2) << "\n";
}

}  // namespace sanity::api
