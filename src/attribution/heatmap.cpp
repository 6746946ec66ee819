#include "attribution/heatmap.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace sanity {
namespace {

// Blue (-1) -> white (0) -> red (+1), as a 256-entry OpenCV lookup table (BGR).
cv::Mat diverging_lut() {
  cv::Mat lut(256, 1, CV_8UC3);
  const double blue[3] = {192, 76, 59}, white[3] = {247, 247, 247}, red[3] = {38, 4, 180};  // BGR
  for (int i = 0; i < 256; ++i) {
    const double t = i / 255.0 * 2 - 1;
    const double* end = t < 0 ? blue : red;
    const double a = std::abs(t);
    for (int c = 0; c < 3; ++c) lut.at<cv::Vec3b>(i, 0)[c] = cv::saturate_cast<uchar>(white[c] + a * (end[c] - white[c]));
  }
  return lut;
}

cv::Mat to_u8(const torch::Tensor& unit) {  // [H, W] in [0, 1]
  torch::Tensor u8 = (unit.clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous().cpu();
  return cv::Mat(static_cast<int>(u8.size(0)), static_cast<int>(u8.size(1)), CV_8UC1, u8.data_ptr()).clone();
}

}  // namespace

torch::Tensor render_heatmap(const torch::Tensor& map, const HeatmapOptions& o, const torch::Tensor& image) {
  torch::NoGradGuard no_grad;
  torch::Tensor m = reduce_channels(map.unsqueeze(0).to(torch::kCPU, torch::kFloat32), o.reduction);
  if (m.size(1) != 1) m = m.sum(1, true);  // reduction "none" on a multi-channel map: show the sum
  if (!o.signed_map) m = m.abs();
  // Percentile clipping keeps a few extreme pixels from washing out the rest; a sparse map whose
  // percentile is 0 would come out blank, so it is shown unclipped.
  torch::Tensor clipped = clip_percentiles(m, o.signed_map ? 100 - o.clip : 0, o.clip);
  if (clipped.abs().max().item<double>() == 0) clipped = m;
  const torch::Tensor v = scale_abs_max(clipped);  // [-1, 1] or [0, 1]; 0 stays 0
  cv::Mat gray, bgr;
  if (o.signed_map) {
    gray = to_u8(((v + 1) / 2)[0][0]);
    cv::applyColorMap(gray, bgr, diverging_lut());
  } else {
    gray = to_u8(v[0][0]);
    cv::applyColorMap(gray, bgr, cv::COLORMAP_INFERNO);
  }
  if (image.defined() && o.overlay > 0) {
    torch::Tensor g = scale_unit(image.unsqueeze(0).to(torch::kCPU, torch::kFloat32).mean(1, true));
    cv::Mat base;
    cv::cvtColor(to_u8(g[0][0]), base, cv::COLOR_GRAY2BGR);
    cv::addWeighted(bgr, o.overlay, base, 1 - o.overlay, 0, bgr);
  }
  const int shorter = std::min(bgr.rows, bgr.cols);
  if (shorter > 0 && shorter < o.min_size) {
    const int f = static_cast<int>((o.min_size + shorter - 1) / shorter);
    cv::resize(bgr, bgr, cv::Size(bgr.cols * f, bgr.rows * f), 0, 0, cv::INTER_NEAREST);
  }
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).clone();
}

void write_png(const std::string& path, const torch::Tensor& rgb) {
  torch::Tensor t = rgb.to(torch::kCPU, torch::kUInt8).contiguous();
  cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC3, t.data_ptr()), bgr;
  cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
  bool ok = false;
  try {
    ok = cv::imwrite(path, bgr);
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok) throw InputError(path + ": cannot write the PNG file (is the directory writable?)");
}

}  // namespace sanity
