// image_file.cpp's function in the lean build (SANITY_WITH_OPENCV=OFF): images are decoded by OpenCV.
#include "core/build_info.h"
#include "data/image_folder.h"

namespace sanity {

torch::Tensor load_image(const std::string& path, const ImagePreprocess&) {
  refuse_without_opencv(path + ": image files", kImagesWithoutOpenCV);
}

}  // namespace sanity
