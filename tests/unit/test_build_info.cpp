// What the build holds (core/build_info.h): a full build says it has OpenCV; the lean build
// (SANITY_WITH_OPENCV=OFF, scripts/gpu.sh) refuses each entry point that needs OpenCV with one line
// that says so, and computes the rest.
#include "attribution/heatmap.h"
#include "core/build_info.h"
#include "data/image_folder.h"
#include "metrics/hog.h"
#include "metrics/registry.h"
#include "report/png_tiles.h"
#include "test_util.h"

using namespace sanity;

namespace {

constexpr const char* kLean = "this sanity was built without OpenCV (SANITY_WITH_OPENCV=OFF, the lean GPU build)";

}  // namespace

// CMake tells this program which build it is in (tests/CMakeLists.txt), the library its own way.
TEST(BuildInfo, SaysWhetherOpenCVIsInTheBuild) {
  EXPECT_EQ(sanity_built_with_opencv(), SANITY_EXPECT_OPENCV != 0);
  const test::CommandResult info = test::run_cli("info");
  EXPECT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find(opencv_build_line()), std::string::npos) << info.output;
  EXPECT_NE(info.output.find(SANITY_EXPECT_OPENCV ? "OpenCV: in the build" : "OpenCV: not in the build"),
            std::string::npos) << info.output;
}

TEST(BuildInfo, FullBuildRequiresNothing) {
  if (!sanity_built_with_opencv()) GTEST_SKIP() << "a lean build";
  EXPECT_NO_THROW(require_opencv("heatmap PNG", "n/a"));
  test::expect_input_error([] { refuse_without_opencv("x", "y"); }, std::string("x: ") + kLean + "; y");
}

TEST(BuildInfo, LeanBuildRefusesEachOpenCVEntryPointInOneLine) {
  if (sanity_built_with_opencv()) GTEST_SKIP() << "a build with OpenCV";
  const torch::Tensor map = torch::rand({1, 28, 28});
  test::expect_input_error([&] { render_heatmap(map, HeatmapOptions{}); }, std::string("heatmap PNG: ") + kLean);
  test::expect_input_error([&] { write_png("/tmp/x.png", torch::zeros({2, 2, 3}, torch::kUInt8)); },
                           std::string("heatmap PNG: ") + kLean);
  test::expect_input_error([&] { report::png_tile(map, true, 1); }, std::string("saliency grid PNG: ") + kLean);
  test::expect_input_error([] { report::colorbar_png(); }, std::string("saliency grid PNG: ") + kLean);
  const std::string dir = test::temp_dir("lean-folder");
  test::expect_input_error([&] { load_image_folder(dir, ImagePreprocess{}); },
                           "--data " + dir + ": image folders: " + kLean + "; give the images as an .npy array");
  test::expect_input_error([&] { load_image(dir + "/a.png", ImagePreprocess{}); }, dir + "/a.png: image files: " + kLean);
  const torch::Tensor maps = torch::rand({2, 1, 28, 28});
  // Refused when the metric is made, before any map is computed; its HOG function too.
  test::expect_input_error([] { MetricRegistry::instance().make("hog(impl=opencv)"); },
                           std::string("hog(impl=opencv): ") + kLean + "; use hog");
  test::expect_input_error([&] { hog_features_opencv(maps, HogOptions{}); }, std::string("hog(impl=opencv): ") + kLean);
  EXPECT_NO_THROW(MetricRegistry::instance().make("hog")->compare(maps, maps));  // skimage's HOG needs no OpenCV
}

TEST(BuildInfo, LeanExplainRefusesPngHeatmapsBeforeAnyWork) {
  if (sanity_built_with_opencv()) GTEST_SKIP() << "a build with OpenCV";
  const std::string dir = test::temp_dir("lean-explain");
  const test::CommandResult r = test::run_cli("explain --builtin cnn --methods gradient --out " + dir + "/out");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(std::string("heatmap PNG: ") + kLean + "; give --no-png"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out")) << "refused after writing";
}
