// load_image: one image file decoded and preprocessed with OpenCV (imgcodecs: JPEG, PNG, BMP, ...).
// The lean build without OpenCV has image_file_no_opencv.cpp instead.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "data/image_folder.h"

namespace sanity {
namespace {

// libpng and libjpeg print their own lines ("libpng error: Read Error") before OpenCV returns an empty
// image: silenced while one image is decoded, so that the error is ours alone. Images are decoded
// before any work starts, on one thread, so nothing else is writing to stderr then.
class QuietStderr {
 public:
  QuietStderr() {
    std::fflush(stderr);
    saved_ = dup(2);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 2);
      close(null);
    }
  }
  ~QuietStderr() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
    }
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_ = -1;
};

cv::Mat decode(const std::string& path, int flags) {
  try {
    const QuietStderr quiet;
    return cv::imread(path, flags);
  } catch (const cv::Exception&) {  // a header declaring a size past OpenCV's limits, among others
    throw InputError(path + ": cannot decode image (its header declares a size or format OpenCV refuses)");
  }
}

}  // namespace

torch::Tensor load_image(const std::string& path, const ImagePreprocess& pre) {
  if (pre.channels != 1 && pre.channels != 3)
    throw InputError("--channels " + std::to_string(pre.channels) + ": expected 1 or 3");
  if (static_cast<int64_t>(pre.mean.size()) != pre.channels || static_cast<int64_t>(pre.std.size()) != pre.channels)
    throw InputError("--mean/--std: expected " + std::to_string(pre.channels) + " values each");
  cv::Mat img = decode(path, pre.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (img.empty()) throw InputError(path + ": cannot decode image (not a readable JPEG/PNG/... file, or truncated)");
  if (pre.channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  if (pre.resize > 0) {
    const double scale = double(pre.resize) / std::min(img.rows, img.cols);
    const int w = std::max(1, int(std::lround(img.cols * scale))), h = std::max(1, int(std::lround(img.rows * scale)));
    cv::resize(img, img, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  }
  if (pre.crop > 0) {
    if (img.rows < pre.crop || img.cols < pre.crop)
      throw InputError(path + ": image is " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
                       " after resizing, smaller than --crop " + std::to_string(pre.crop));
    const int top = (img.rows - int(pre.crop)) / 2, left = (img.cols - int(pre.crop)) / 2;
    img = img(cv::Rect(left, top, int(pre.crop), int(pre.crop))).clone();
  }
  cv::Mat f;
  img.convertTo(f, CV_32F, 1.0 / 255.0);
  torch::Tensor t = torch::from_blob(f.data, {f.rows, f.cols, pre.channels}, torch::kFloat32).clone();
  t = t.permute({2, 0, 1}).contiguous();
  for (int64_t c = 0; c < pre.channels; ++c) t[c].sub_(pre.mean[c]).div_(pre.std[c]);
  return t;
}

}  // namespace sanity
