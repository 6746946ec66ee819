#include "api/faithfulness_files.h"

#include <filesystem>

#include "faithfulness/record.h"
#include "results/export.h"

namespace sanity::api {
namespace {

std::vector<double> column_means(const Tensor& curve) {
  const Tensor m = curve.to(torch::kFloat64).nanmean(0).contiguous();
  return {m.data_ptr<double>(), m.data_ptr<double>() + m.numel()};
}

}  // namespace

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
  const auto& pf = m.result.pixel_flipping;
  const auto& in = m.result.insertion_deletion;
  const std::vector<std::pair<std::string, Tensor>> named{
      {"morf_prob", pf.morf_prob},   {"lerf_prob", pf.lerf_prob},           {"morf_logit", pf.morf_logit},
      {"lerf_logit", pf.lerf_logit}, {"insertion_prob", in.insertion},      {"deletion_prob", in.deletion}};
  nlohmann::json e{{"spec", m.spec}, {"order", m.by_magnitude ? "absolute" : "signed"}, {"seconds", m.seconds}};
  for (const auto& [name, c] : named) {
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
