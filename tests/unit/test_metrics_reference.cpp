// The similarity metrics against scipy.stats and skimage on the same maps
// (tests/reference/metrics_reference.py): random, correlated, tied, sparse, 3-channel and
// structured map pairs, and the papers' 50 pairs of independent Gaussian masks.
#include <torch/torch.h>

#include "metrics/correlation.h"
#include "metrics/hog.h"
#include "metrics/registry.h"
#include "metrics/ssim.h"
#include "test_util.h"

using namespace sanity;

namespace {

const char* kSets[] = {"mnist", "rgb", "shapes", "noise"};

torch::Tensor ref(const std::string& set, const std::string& what) {
  return test::load_ref("metrics_" + set + "_" + what + ".npy").to(torch::kFloat64);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace

TEST(MetricsReference, PreparedUnitMapsMatchTheNumpyPreparation) {
  for (const char* set : kSets) {
    torch::Tensor a = ref(set, "a"), unit = ref(set, "unit");
    ASSERT_TRUE(a.defined() && unit.defined()) << set;
    torch::Tensor mine = prepare_maps(a.to(torch::kFloat32), Preparation::Unit).squeeze(1);
    EXPECT_LT(max_abs_diff(mine, unit.select(1, 0)), 1e-12) << set;
  }
}

TEST(MetricsReference, SsimEqualsSkimageOnTheSameMaps) {
  for (const char* set : kSets) {
    torch::Tensor unit = ref(set, "unit");
    ASSERT_TRUE(unit.defined()) << set;
    torch::Tensor x = unit.select(1, 0).unsqueeze(1), y = unit.select(1, 1).unsqueeze(1);
    EXPECT_LT(max_abs_diff(ssim(x, y, {.data_range = 1.0}), ref(set, "ssim")), 1e-9) << set;
    EXPECT_LT(max_abs_diff(ssim(x, y, {.data_range = 2.0}), ref(set, "ssim_r2")), 1e-9) << set;
  }
}

TEST(MetricsReference, HogEqualsSkimageOnTheSameMaps) {
  for (const char* set : kSets) {
    torch::Tensor unit = ref(set, "unit"), hog = ref(set, "hogvec");
    ASSERT_TRUE(unit.defined() && hog.defined()) << set;
    const int64_t cell = hog_auto_cell(unit.size(2), unit.size(3), 3);
    for (int side : {0, 1}) {
      torch::Tensor mine = hog_features(unit.select(1, side), {.orientations = 9, .cell = cell, .block = 3});
      ASSERT_EQ(mine.sizes(), hog.select(1, side).sizes()) << set;
      EXPECT_LT(max_abs_diff(mine, hog.select(1, side)), 1e-6) << set << " side " << side;
    }
    torch::Tensor rho = spearman_rows(hog.select(1, 0), hog.select(1, 1));
    EXPECT_LT(max_abs_diff(rho, ref(set, "hog")), 1e-9) << set;
  }
}

TEST(MetricsReference, EveryMetricMatchesScipyAndSkimageFromRawMaps) {
  // The metric as users call it: raw float32 maps in, preparation inside. The reference prepares in
  // float64 from the same float32 maps, as sanity does.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"spearman_abs", "spearman_abs"}, {"spearman", "spearman"},       {"pearson", "pearson"},
      {"cosine", "cosine"},             {"mse", "mse"},                 {"ssim", "ssim"},
      {"ssim(data_range=2)", "ssim_r2"}, {"hog", "hog"},                {"hog(corr=pearson)", "hog_pearson"},
      {"topk_intersection", "topk"},    {"topk_intersection(k=17)", "topk_count"},
      {"kendall", "kendall"},           {"kendall(prep=signed)", "kendall_signed"}};
  for (const char* set : kSets) {
    torch::Tensor a = ref(set, "a").to(torch::kFloat32), b = ref(set, "b").to(torch::kFloat32);
    for (const auto& [spec, file] : cases) {
      torch::Tensor expected = ref(set, file);
      torch::Tensor got = MetricRegistry::instance().make(spec)->compare(a, b);
      ASSERT_EQ(got.sizes(), expected.sizes()) << set << " " << spec;
      EXPECT_EQ(got.isnan().sum().item<int64_t>(), expected.isnan().sum().item<int64_t>()) << set << " " << spec;
      torch::Tensor both = ~(got.isnan() | expected.isnan());
      if (both.any().item<bool>())
        EXPECT_LT(max_abs_diff(got.masked_select(both), expected.masked_select(both)), 1e-9) << set << " " << spec;
    }
  }
}
