#include "report/png_tiles.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "report/markup.h"

namespace sanity::report {

std::string png_tile(const torch::Tensor& unit, bool colormap, int scale) {
  const int h = static_cast<int>(unit.size(1)), w = static_cast<int>(unit.size(2));
  torch::Tensor bytes = (unit * 255).round().clamp(0, 255).to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  cv::Mat m(h, w, unit.size(0) == 1 ? CV_8UC1 : CV_8UC3, bytes.data_ptr());
  cv::Mat out;
  if (colormap)
    cv::applyColorMap(m, out, cv::COLORMAP_INFERNO);
  else if (unit.size(0) == 3)
    cv::cvtColor(m, out, cv::COLOR_RGB2BGR);
  else
    out = m.clone();
  if (scale > 1) cv::resize(out, out, {}, scale, scale, cv::INTER_NEAREST);
  std::vector<uchar> png;
  cv::imencode(".png", out, png);
  return data_uri("image/png", std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

std::string colorbar_png() {
  cv::Mat ramp(256, 1, CV_8UC1);
  for (int i = 0; i < 256; i++) ramp.at<uchar>(i) = static_cast<uchar>(255 - i);
  cv::Mat out;
  cv::applyColorMap(ramp, out, cv::COLORMAP_INFERNO);
  cv::resize(out, out, {8, 256}, 0, 0, cv::INTER_NEAREST);
  std::vector<uchar> png;
  cv::imencode(".png", out, png);
  return data_uri("image/png", std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace sanity::report
