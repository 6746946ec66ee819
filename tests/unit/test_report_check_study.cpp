// The report on a study exactly as `sanity check` writes it (src/study/check_runner.cpp), not on the
// synthetic one: if the runner's layout drifts from docs/STUDY_DIRECTORY.md, this is the test that
// fails. An untrained built-in CNN on 8 synthetic 28x28 images with labels (a .npy test bed, so the
// accuracy is taken on those 8 and not on MNIST's 10 000) keeps it to seconds; the figures only need
// the files and rows to be there, not a meaningful model.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "data/npy.h"
#include "report/report.h"
#include "report/study.h"
#include "stats/proportion.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(ReportCheckStudy, DrawsWhatSanityCheckWrites) {
  const std::string root = test::temp_dir("report-check-study"), dir = root + "/study";
  // Bright strokes on a dark background, one per class, so that sobel and the gradients have edges.
  torch::Tensor images = torch::zeros({8, 1, 28, 28});
  for (int64_t i = 0; i < 8; i++) images.index_put_({i, 0, torch::indexing::Slice(4, 24), 6 + 2 * i}, 1.0);
  write_npy(root + "/images.npy", images);
  write_npy(root + "/labels.npy", torch::arange(8, torch::kInt64));
  // emprt is a check the report does not draw: it must be named as not shown, not break the report.
  const test::CommandResult check = test::run_cli(
      "check --model cnn --data " + root + "/images.npy --labels " + root + "/labels.npy --count 8 --grid-images 2"
      " --threads 2 --quiet --metrics spearman_abs,ssim --methods gradient,guided_backprop,sobel"
      " --checks cascading,independent,random_logit,emprt --out " + dir);
  ASSERT_EQ(check.exit_code, 0) << check.output;
  ASSERT_FALSE(fs::exists(dir + "/study.json")) << "the runner writes study.json now: drop the fallback's caveat in the docs";

  const report::Study study(dir);
  ASSERT_EQ(study.runs().size(), 1u);
  EXPECT_EQ(study.config()["run 1"]["source"], "maps/1/config.json");
  // The x axes: the runner's stage labels, the trained model first.
  const report::StageAxis& casc = study.stages(1, "cascading");
  ASSERT_GE(casc.stages.size(), 3u);
  EXPECT_EQ(casc.labels[0], "original");
  // Each stage's accuracy over the 8 labelled images comes with its 95 % Wilson interval.
  const auto at = [&](const char* metric) {
    return study.store().rows(report::run_filter(1, "cascading", std::string(metric), std::string()));
  };
  const std::vector<ResultRow> acc = at("accuracy"), low = at("accuracy_low"), high = at("accuracy_high");
  ASSERT_EQ(acc.size(), casc.stages.size());
  ASSERT_EQ(low.size(), acc.size());
  ASSERT_EQ(high.size(), acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    const Interval w = wilson_interval(acc[i].value, 8);
    EXPECT_DOUBLE_EQ(low[i].value, w.low);
    EXPECT_DOUBLE_EQ(high[i].value, w.high);
    EXPECT_GT(high[i].value - low[i].value, 0.3);  // 8 images: wide
  }

  report::ReportOptions options;
  options.grid_images = 1;
  const report::ReportFiles files = report::write_report(dir, "", options);
  const std::string fig = dir + "/report/figures/";
  for (const std::string name :
       {"run1_similarity_cascading_spearman_abs", "run1_similarity_cascading_ssim_data_range_1",
        "run1_similarity_independent_spearman_abs", "run1_similarity_random_logit_ssim_data_range_1",
        "run1_accuracy_cascading", "run1_accuracy_independent", "run1_activation_scale_cascading",
        "run1_ranking", "run1_ranking_agreement"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(fs::exists(fig + name + ".vl.json"));
    EXPECT_TRUE(fs::exists(fig + name + ".svg"));
    EXPECT_FALSE(cv::imread(fig + name + ".png").empty());
  }
  // Saliency grids from maps/1/: one per drawn check for the first saved image, none for emprt.
  const std::string first_image = std::to_string(nlohmann::json::parse(read(dir + "/maps/1/index.json"))["images"][0].get<int64_t>());
  for (const std::string check : {"cascading", "independent", "random_logit"})
    EXPECT_FALSE(cv::imread(fig + "run1_saliency_" + check + "_image" + first_image + ".png").empty()) << check;
  for (const auto& e : fs::directory_iterator(fig)) EXPECT_EQ(e.path().filename().string().find("emprt"), std::string::npos);

  const std::string html = read(files.html);
  EXPECT_NE(html.find("Not shown: check &#39;emprt&#39;"), std::string::npos);
  EXPECT_NE(html.find("maps/1/config.json"), std::string::npos);  // the configuration's source, on the page
  EXPECT_NE(html.find("<table class=\"ranking\">"), std::string::npos);
}
