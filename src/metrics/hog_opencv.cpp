// hog(impl=opencv): cv::HOGDescriptor for users who want OpenCV's HOG rather than skimage's.
#include <opencv2/objdetect.hpp>

#include "metrics/hog.h"

namespace sanity {

torch::Tensor hog_features_opencv(const torch::Tensor& maps, const HogOptions& o) {
  torch::Tensor x = hog_input(maps).to(torch::kCPU);
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2);
  check_hog_size(h, w, o);
  const int cell = static_cast<int>(o.cell), block = static_cast<int>(o.block * o.cell);
  const cv::Size window(static_cast<int>(w / o.cell) * cell, static_cast<int>(h / o.cell) * cell);
  cv::HOGDescriptor hog(window, cv::Size(block, block), cv::Size(cell, cell), cv::Size(cell, cell),
                        static_cast<int>(o.orientations));
  torch::Tensor bytes = (x * 255.0).round().clamp(0, 255).to(torch::kUInt8).contiguous();
  const int64_t d = static_cast<int64_t>(hog.getDescriptorSize());
  torch::Tensor out = torch::empty({n, d}, torch::kFloat64);
  std::vector<float> descriptor;
  for (int64_t i = 0; i < n; ++i) {
    cv::Mat img(static_cast<int>(h), static_cast<int>(w), CV_8UC1, bytes[i].data_ptr<uint8_t>());
    // A copy, not a view: OpenCV would take border gradients from pixels outside a view.
    hog.compute(img(cv::Rect(0, 0, window.width, window.height)).clone(), descriptor);
    std::copy(descriptor.begin(), descriptor.end(), out.data_ptr<double>() + i * d);
  }
  return out;
}

}  // namespace sanity
