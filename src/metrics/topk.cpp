#include "metrics/topk.h"

#include <cmath>

#include "core/error.h"
#include "metrics/registry.h"

namespace sanity {
namespace {

// The k highest entries of each row as a boolean mask; a stable sort keeps ties in index order.
torch::Tensor top_mask(const torch::Tensor& rows, int64_t k) {
  torch::Tensor order = std::get<1>(rows.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true)).narrow(1, 0, k);
  return torch::zeros(rows.sizes(), rows.options().dtype(torch::kBool)).scatter_(1, order, true);
}

class TopkMetric : public Metric {
 public:
  TopkMetric(const MetricSpec& spec, Direction d)
      : Metric(spec, d), prep_(parse_preparation(spec.get_string("prep", "absolute"))), k_(spec.get_double("k", 0.1)) {}

 protected:
  torch::Tensor score(const torch::Tensor& original, const torch::Tensor& other) const override {
    torch::Tensor a = prepare_maps(original, prep_).flatten(1), b = prepare_maps(other, prep_).flatten(1);
    return topk_intersection_rows(a, b, topk_count(k_, a.size(1)));
  }

 private:
  Preparation prep_;
  double k_ = 0.1;
};

}  // namespace

int64_t topk_count(double k, int64_t d) {
  if (k > 0 && k < 1) return std::max<int64_t>(1, std::llround(k * static_cast<double>(d)));
  if (k >= 1 && k == std::floor(k) && k <= static_cast<double>(d)) return static_cast<int64_t>(k);
  throw InputError("metric topk_intersection: option k=" + std::to_string(k) +
                   " must be a fraction in (0, 1) or a whole number of pixels <= " + std::to_string(d));
}

torch::Tensor topk_intersection_rows(const torch::Tensor& a, const torch::Tensor& b, int64_t k) {
  torch::Tensor both = top_mask(a, k) & top_mask(b.to(a.device()), k);
  return both.sum(1).to(torch::kFloat64) / static_cast<double>(k);
}

void register_topk_metric(MetricRegistry& r) {
  Option k = number_option("k", 0.1, "a fraction of the pixels in (0, 1), or a number of pixels");
  k.check = [](const std::string& v) {
    const double x = std::stod(v);
    return x > 0 && (x < 1 || x == std::floor(x)) ? "" : "must be a fraction in (0, 1) or a whole number of pixels";
  };
  r.add({{"topk_intersection", "fraction of the original's k most relevant pixels among the other's k most relevant",
          {k, prep_option(Preparation::Absolute)}},
         Direction::HigherIsMoreSimilar,
         [](const MetricSpec& s, const MetricInfo& i) -> MetricPtr { return std::make_shared<TopkMetric>(s, i.direction); }});
}

}  // namespace sanity
