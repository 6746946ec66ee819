// Image folders: both layouts, labels, channel order, resize + center crop + mean/std against values
// computed by hand, and errors naming the file.
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "data/image_folder.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;

namespace {

// A solid image; OpenCV stores channels as BGR, sanity returns RGB.
void write_solid(const std::string& path, int r, int g, int b, int width = 8, int height = 6) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, cv::Mat(height, width, CV_8UC3, cv::Scalar(b, g, r))));
}

ImagePreprocess plain(int64_t channels = 3) {
  ImagePreprocess p;
  p.channels = channels;
  p.mean.assign(static_cast<size_t>(channels), 0.0);
  p.std.assign(static_cast<size_t>(channels), 1.0);
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

}  // namespace

TEST(ImageFolder, ClassSubfoldersGiveSortedClassesAndRgbValues) {
  const std::string root = test::temp_dir("folder-classes");
  write_solid(root + "/zebra/1.png", 255, 0, 0);
  write_solid(root + "/ant/b.png", 0, 128, 0);
  write_solid(root + "/ant/a.png", 10, 20, 30);
  Dataset d = load_image_folder(root, plain());
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"ant", "zebra"}));
  ASSERT_EQ(d.images.sizes(), (std::vector<int64_t>{3, 3, 6, 8}));
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({0, 0, 1}, torch::kInt64)));
  // Files sorted within a class: ant/a.png first. Pixels scaled to [0, 1], channels in RGB order.
  EXPECT_FLOAT_EQ(d.images[0][0][3][4].item<float>(), 10 / 255.0f);
  EXPECT_FLOAT_EQ(d.images[0][1][3][4].item<float>(), 20 / 255.0f);
  EXPECT_FLOAT_EQ(d.images[0][2][3][4].item<float>(), 30 / 255.0f);
  EXPECT_FLOAT_EQ(d.images[2][0].mean().item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(d.images[2][1].abs().max().item<float>(), 0.0f);
}

TEST(ImageFolder, FlatFolderWithLabelsFileAndJpeg) {
  const std::string root = test::temp_dir("folder-flat");
  write_solid(root + "/x1.png", 200, 100, 50);
  write_solid(root + "/x2.jpg", 40, 80, 160, 16, 16);  // JPEG: lossy, but a solid colour survives to +-2
  write_solid(root + "/x3.png", 1, 2, 3, 16, 16);
  {
    std::ofstream f(root + "/labels.txt");
    f << "# file label\nx2.jpg 7\n\nx1.png 3   # trailing comment\n";
  }
  ImagePreprocess p = plain();
  p.resize = 6;  // x1 is 8x6 (already 6 tall), x2 16x16 -> 6x6
  p.crop = 6;
  Dataset d = load_image_folder(root, p, root + "/labels.txt");
  ASSERT_EQ(d.size(), 2);  // x3 is not listed, so not loaded
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({7, 3}, torch::kInt64)));
  const float tol = 2.5f / 255;
  EXPECT_NEAR(d.images[0][0].mean().item<float>(), 40 / 255.0f, tol);
  EXPECT_NEAR(d.images[0][1].mean().item<float>(), 80 / 255.0f, tol);
  EXPECT_NEAR(d.images[0][2].mean().item<float>(), 160 / 255.0f, tol);
  EXPECT_FLOAT_EQ(d.images[1][0][0][0].item<float>(), 200 / 255.0f);

  // Class names as labels: numbered in order of first appearance.
  {
    std::ofstream f(root + "/names.txt");
    f << "x1.png dog\nx2.jpg cat\nx3.png dog\n";
  }
  Dataset n = load_image_folder(root, p, root + "/names.txt");
  EXPECT_EQ(n.class_names, (std::vector<std::string>{"dog", "cat"}));
  EXPECT_TRUE(torch::equal(n.labels, torch::tensor({0, 1, 0}, torch::kInt64)));
}

TEST(ImageFolder, UnlabelledFlatFolderHasUnknownLabels) {
  const std::string root = test::temp_dir("folder-unlabelled");
  write_solid(root + "/a.png", 1, 1, 1);
  write_solid(root + "/b.bmp", 2, 2, 2);
  std::ofstream(root + "/notes.txt") << "not an image";
  Dataset d = load_image_folder(root, plain());
  EXPECT_EQ(d.size(), 2);
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({-1, -1}, torch::kInt64)));
}

TEST(ImageFolder, ResizeCropMeanStdMatchHandComputedValues) {
  // 24 x 12 image, R = 10 * column, G = 10 * row, B = 200. Resizing the shorter side 12 -> 6 halves
  // both sides exactly, so each output pixel averages a 2x2 block: R = 20 x + 5, G = 20 y + 5.
  // A center crop of 4 from 12 x 6 starts at column 4, row 1.
  const std::string root = test::temp_dir("folder-resize");
  cv::Mat img(12, 24, CV_8UC3);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 24; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(200, uchar(10 * y), uchar(10 * x));
  ASSERT_TRUE(cv::imwrite(root + "/img.png", img));
  ImagePreprocess p;
  p.resize = 6;
  p.crop = 4;
  p.mean = {0.5, 0.25, 0.1};
  p.std = {0.2, 0.5, 2.0};
  torch::Tensor t = load_image(root + "/img.png", p);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 4, 4}));
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const double r = (20 * (j + 4) + 5) / 255.0, g = (20 * (i + 1) + 5) / 255.0, b = 200 / 255.0;
      EXPECT_NEAR(t[0][i][j].item<double>(), (r - 0.5) / 0.2, 1e-5) << i << "," << j;
      EXPECT_NEAR(t[1][i][j].item<double>(), (g - 0.25) / 0.5, 1e-5) << i << "," << j;
      EXPECT_NEAR(t[2][i][j].item<double>(), (b - 0.1) / 2.0, 1e-5) << i << "," << j;
    }
}

TEST(ImageFolder, GrayscaleGivesOneChannel) {
  const std::string root = test::temp_dir("folder-gray");
  write_solid(root + "/a.png", 100, 100, 100);
  Dataset d = load_image_folder(root, plain(1));
  ASSERT_EQ(d.images.sizes(), (std::vector<int64_t>{1, 1, 6, 8}));
  EXPECT_FLOAT_EQ(d.images.mean().item<float>(), 100 / 255.0f);
}

TEST(ImageFolder, ErrorsNameTheFile) {
  const std::string root = test::temp_dir("folder-errors");
  write_solid(root + "/a/small.png", 1, 1, 1, 8, 6);
  write_solid(root + "/a/big.png", 1, 1, 1, 10, 10);
  std::string m = error_of([&] { load_image_folder(root, plain()); });
  EXPECT_NE(m.find("small.png"), std::string::npos) << m;
  EXPECT_NE(m.find("--resize"), std::string::npos) << m;

  std::ofstream(root + "/a/broken.png") << "not a png";
  m = error_of([&] { load_image(root + "/a/broken.png", plain()); });
  EXPECT_NE(m.find(root + "/a/broken.png"), std::string::npos) << m;
  EXPECT_NE(m.find("cannot decode"), std::string::npos) << m;

  ImagePreprocess crop = plain();
  crop.crop = 20;
  m = error_of([&] { load_image(root + "/a/big.png", crop); });
  EXPECT_NE(m.find("smaller than --crop 20"), std::string::npos) << m;

  std::ofstream(root + "/labels.txt") << "a/big.png 1\nmissing.png 2\n";
  m = error_of([&] { load_image_folder(root, plain(), root + "/labels.txt"); });
  EXPECT_NE(m.find("labels.txt:2"), std::string::npos) << m;
  EXPECT_NE(m.find("missing.png does not exist"), std::string::npos) << m;

  const std::string empty = test::temp_dir("folder-empty");
  m = error_of([&] { load_image_folder(empty, plain()); });
  EXPECT_NE(m.find("no images found"), std::string::npos) << m;
}
