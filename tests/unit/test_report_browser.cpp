// The report in a real browser: headless Chromium (Debian's chromium) opens report.html from
// file://, with every request other than the file itself denied (tests/browser/check_report.mjs,
// a small DevTools-protocol client). No JavaScript error, no request, every chart drawn by
// vega-embed, and a full-page screenshot (kept in the build tree) with the charts' colours on it.
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "report/report.h"
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

  // The saliency grids (data-URI SVG images) decoded.
  ASSERT_EQ(res["images"].size(), 2u);
  for (const json& img : res["images"]) {
    EXPECT_EQ(img["complete"], true);
    EXPECT_GT(img["width"].get<int>(), 300);
  }

  // The screenshot: a long page, not blank, and the cascading chart shows the methods' colours
  // (#0072B2 gradient, #D55E00 guided_backprop, #009E73 integrated_gradients) where it was laid out.
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
  EXPECT_GT(count_colour(shot, chart, 0x00, 0x9E, 0x73), 100);
}
