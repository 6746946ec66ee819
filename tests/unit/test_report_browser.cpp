// The report in a real browser: headless Chromium (Debian's chromium) opens report.html from
// file://, with every request other than the file itself denied (tests/browser/check_report.mjs,
// a small DevTools-protocol client). No JavaScript error, no request, every chart drawn by
// vega-embed, and a full-page screenshot (kept in the build tree) with the charts' colours on it.
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "report/report.h"
#include "results/store.h"
#include "stats/bootstrap.h"
#include "report_study.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Pixels within `tol` of an RGB colour inside a rectangle of the screenshot.
int count_colour(const cv::Mat& bgr, cv::Rect r, int red, int green, int blue, int tol = 40) {
  r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  int n = 0;
  for (int y = r.y; y < r.y + r.height; y++)
    for (int x = r.x; x < r.x + r.width; x++) {
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      n += std::abs(p[2] - red) < tol && std::abs(p[1] - green) < tol && std::abs(p[0] - blue) < tol;
    }
  return n;
}

}  // namespace

TEST(ReportBrowser, OpensOfflineInHeadlessChromiumWithEveryChartDrawn) {
  // Kept in the build tree (next to the sanity binary) to look at after a failure.
  const fs::path out = fs::path(SANITY_CLI).parent_path() / "test-output" / "report-browser";
  fs::remove_all(out);
  const test::SyntheticStudy st = test::make_synthetic_study(test::temp_dir("report-browser"));
  // The edge detector in the cascading check of run 1, so the scorecard has its reference: a map that
  // does not depend on the model is identical to itself at every stage (similarity 1).
  {
    ResultsStore store(st.dir + "/results.sqlite");
    for (int64_t stage = 0; stage < 5; stage++) {
      std::vector<Measurement> rows;
      for (const std::string& metric : test::study_metrics())
        for (int i = 0; i < test::kImages; i++) rows.push_back({metric, 1.0, i});
      store.record_unit({st.cnn, "cascading", stage, "sobel"}, rows);
    }
  }
  report::ReportOptions options;
  options.grid_images = 1;
  const report::ReportFiles files = report::write_report(st.dir, out.string(), options);
  const std::string screenshot = (out / "screenshot.png").string();

  const test::CommandResult r = test::run_command("node " + std::string(SANITY_SOURCE_DIR) +
                                                  "/tests/browser/check_report.mjs " + files.html + " " + screenshot);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json res = json::parse(r.output.substr(r.output.find('{')));

  EXPECT_EQ(res["exceptions"], json::array()) << res["exceptions"];
  EXPECT_EQ(res["consoleErrors"], json::array()) << res["consoleErrors"];
  EXPECT_EQ(res["logErrors"], json::array()) << res["logErrors"];
  // Offline: the page asked for nothing but itself and its own data: URIs.
  EXPECT_EQ(res["denied"], json::array()) << res["denied"];
  ASSERT_GE(res["requests"].size(), 1u);
  for (const json& url : res["requests"]) {
    const std::string u = url;
    EXPECT_TRUE(u == res["url"] || u.rfind("data:", 0) == 0) << u;
  }

  // Every chart drawn: 16 Vega-Lite figures for run 1, 6 for run 2.
  ASSERT_TRUE(res["status"].is_object()) << "window.sanityReport missing: the boot script did not run";
  EXPECT_EQ(res["status"]["charts"], 22);
  EXPECT_EQ(res["status"]["rendered"], 22);
  EXPECT_EQ(res["status"]["errors"], json::array());
  EXPECT_EQ(res["status"]["done"], true);
  ASSERT_EQ(res["charts"].size(), 22u);
  json casc;
  for (const json& c : res["charts"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["svgs"], 1);
    EXPECT_GT(c["marks"].get<int>(), 20);
    EXPECT_GT(c["width"].get<double>(), 150);
    EXPECT_GT(c["height"].get<double>(), 100);
    if (c["id"] == "chart-run1_similarity_cascading_spearman_abs") casc = c;
  }
  ASSERT_TRUE(casc.is_object());
  const std::string text = casc["text"];
  for (const std::string& label : test::cascading_labels()) EXPECT_NE(text.find(label), std::string::npos) << label;
  for (const std::string& m : test::study_methods()) EXPECT_NE(text.find(m), std::string::npos) << m;

  // The saliency grids (inline SVG), every tile decoded, at the maps' own 28 pixels.
  // Cascading: 3 methods x (the input + 5 stages) and the colour bar; data: 3 x (1 + 2) and the bar.
  ASSERT_EQ(res["grids"].size(), 2u);
  EXPECT_EQ(res["grids"][0]["tiles"], 3 * 6 + 1);
  EXPECT_EQ(res["grids"][1]["tiles"], 3 * 3 + 1);
  for (const json& g : res["grids"]) {
    EXPECT_EQ(g["decoded"], g["tiles"]);
    EXPECT_EQ(g["tileWidth"], 28);
    EXPECT_GT(g["width"].get<double>(), 300);
  }

  // The scorecard opens the page, above every chart, with the verdict rule stated.
  const json& card = res["scorecard"];
  EXPECT_EQ(card["first"], "scorecard");
  EXPECT_GE(card["y"].get<double>(), 0);
  EXPECT_LT(card["y"].get<double>(), card["firstChartY"].get<double>());
  EXPECT_NE(card["rule"].get<std::string>().find("Wilcoxon signed-rank"), std::string::npos);
  ASSERT_EQ(card["tables"].size(), 2u);
  const json& table = card["tables"][0];
  EXPECT_EQ(table["run"], st.cnn);
  // Its numbers are the store's: the last cascading stage's mean of spearman_abs over the images and
  // the bootstrap interval the store computes (1,000 resamples, seed 0), to the printed digits.
  ResultsStore store(st.dir + "/results.sqlite");
  RowFilter last{st.cnn, "cascading", std::nullopt, "spearman_abs", 4};
  const BootstrapOptions boot{1000, 0.95, 0};
  std::map<std::string, Interval> expected;
  for (const ResultSummary& s : store.summaries(last, &boot)) expected[s.method] = s.ci;
  ASSERT_EQ(expected.size(), 4u);
  std::vector<std::string> rows;
  for (const json& row : table["rows"]) {
    const std::string method = row["method"];
    rows.push_back(method);
    SCOPED_TRACE(method);
    json mean, verdict;
    for (const json& c : row["cells"])
      if (c["col"] == "cascading") (c["verdict"].is_null() ? mean : verdict) = c;
    ASSERT_TRUE(mean.is_object() && verdict.is_object());
    const Interval& e = expected.at(method);
    EXPECT_DOUBLE_EQ(mean["mean"].get<double>(), e.estimate);
    EXPECT_NEAR(mean["low"].get<double>(), e.low, 1e-12);
    EXPECT_NEAR(mean["high"].get<double>(), e.high, 1e-12);
    EXPECT_EQ(mean["n"], e.n);
    char printed[16];
    std::snprintf(printed, sizeof printed, "%.3f", e.estimate);
    EXPECT_EQ(mean["text"].get<std::string>().rfind(printed, 0), 0u) << mean["text"];
    // The gradient's mean over its 4 finite images (image 4 is NaN) recomputed from the generator.
    if (method == "gradient") {
      double sum = 0;
      for (int i = 0; i < 4; i++) sum += test::similarity("cascading", 0, 4, 0, i);
      EXPECT_NEAR(e.estimate, sum / 4, 1e-12);
      EXPECT_EQ(e.n, 4);
    }
    // Verdicts: with 5 (or 4) images no paired test reaches p < 0.05 (the exact two-sided minimum is
    // 2 / 2^5 = 0.0625), so every method is indistinguishable from the edge detector: fail, in red.
    EXPECT_EQ(verdict["verdict"], "fail");
    EXPECT_EQ(verdict["background"], "rgb(248, 213, 209)");
  }
  // Rows: the baseline first, then the families.
  EXPECT_EQ(rows, (std::vector<std::string>{"sobel", "gradient", "integrated_gradients(steps=50)", "guided_backprop"}));

  // The screenshot: a long page, not blank, and the cascading chart shows the methods' colours where
  // it was laid out. Each family's panel colours its methods from the palette's start: #0072B2 for
  // gradient, guided_backprop and sobel (three panels), #D55E00 for integrated_gradients (the gradient
  // family's second); no family has a third, so the palette's third colour (#009E73) is absent.
  const cv::Mat shot = cv::imread(screenshot, cv::IMREAD_COLOR);
  ASSERT_FALSE(shot.empty()) << screenshot;
  EXPECT_EQ(shot.cols, 1280);
  EXPECT_GT(shot.rows, 3000);
  cv::Mat grey, ink;
  cv::cvtColor(shot, grey, cv::COLOR_BGR2GRAY);
  cv::threshold(grey, ink, 200, 255, cv::THRESH_BINARY_INV);
  EXPECT_GT(cv::countNonZero(ink), static_cast<int>(0.01 * static_cast<double>(shot.total())));
  const cv::Rect chart(static_cast<int>(casc["x"].get<double>()), static_cast<int>(casc["y"].get<double>()),
                       static_cast<int>(casc["width"].get<double>()), static_cast<int>(casc["height"].get<double>()));
  EXPECT_GT(count_colour(shot, chart, 0x00, 0x72, 0xB2), 100);
  EXPECT_GT(count_colour(shot, chart, 0xD5, 0x5E, 0x00), 100);
  EXPECT_LT(count_colour(shot, chart, 0x00, 0x9E, 0x73), 20);
}
