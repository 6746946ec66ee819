// hog_opencv.cpp's function in the lean build (SANITY_WITH_OPENCV=OFF): cv::HOGDescriptor is OpenCV's.
#include "core/build_info.h"
#include "metrics/hog.h"

namespace sanity {

torch::Tensor hog_features_opencv(const torch::Tensor&, const HogOptions&) {
  refuse_without_opencv("hog(impl=opencv)", kHogWithoutOpencv);
}

}  // namespace sanity
