#include "faithfulness/record.h"

#include <torch/torch.h>

namespace sanity {

namespace {

void add_curve(std::vector<Measurement>& rows, const std::string& metric, const Tensor& curve,
               const std::vector<int64_t>& ids) {
  const Tensor c = curve.to(torch::kCPU, torch::kFloat64).contiguous();
  const double* p = c.data_ptr<double>();
  const int64_t k = c.size(1);
  for (int64_t i = 0; i < c.size(0); ++i)
    for (int64_t s = 0; s < k; ++s) rows.push_back({metric, p[i * k + s], ids[i], s});
}

void add_scores(std::vector<Measurement>& rows, const std::string& metric, const Tensor& scores,
                const std::vector<int64_t>& ids) {
  const Tensor c = scores.to(torch::kCPU, torch::kFloat64).contiguous();
  for (int64_t i = 0; i < c.size(0); ++i) rows.push_back({metric, c.data_ptr<double>()[i], ids[i]});
}

}  // namespace

std::vector<Measurement> faithfulness_rows(const FaithfulnessResult& r, const Tensor& ids) {
  const Tensor id = ids.to(torch::kCPU, torch::kInt64).contiguous();
  const std::vector<int64_t> v(id.data_ptr<int64_t>(), id.data_ptr<int64_t>() + id.numel());
  std::vector<Measurement> rows;
  for (const auto& [name, curve] : named_curves(r)) add_curve(rows, name, curve, v);
  for (const auto& [name, scores] : per_image_scores(r)) add_scores(rows, name, scores, v);
  return rows;
}

WorkUnit faithfulness_unit(int64_t run, const std::string& method) { return {run, kFaithfulnessCheck, -1, method}; }

bool record_faithfulness(ResultsStore& store, int64_t run, const std::string& method,
                         const FaithfulnessResult& result, const Tensor& ids) {
  return store.record_unit(faithfulness_unit(run, method), faithfulness_rows(result, ids));
}

}  // namespace sanity
