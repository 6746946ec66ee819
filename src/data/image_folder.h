#pragma once
// ImageNet-style image folders, read with OpenCV (JPEG, PNG, BMP, ...):
//   root/<class>/<image>      one sub-folder per class (classes sorted by name, labels 0..K-1), or
//   root/<image> + labels     a flat folder and a labels file: "<file name> <label>" per line
//                             (label an integer, or a class name), '#' starts a comment.
#include <string>
#include <vector>

#include "data/dataset.h"

namespace sanity {

struct ImagePreprocess {
  int64_t resize = -1;     // shorter side to this many pixels (-1: keep)
  int64_t crop = -1;       // center crop to crop x crop (-1: none)
  int64_t channels = 3;    // 3: RGB, 1: grayscale
  std::vector<double> mean{0.0, 0.0, 0.0};  // per channel, after scaling pixels to [0, 1]
  std::vector<double> std{1.0, 1.0, 1.0};
};

// ImageNet's usual preprocessing: resize 256, center crop 224, torchvision's mean and std.
ImagePreprocess imagenet_preprocess();

// Loads every image under `root`. Throws InputError naming the file that cannot be decoded, a
// labels-file line that does not parse, or images whose final sizes differ (give --resize/--crop).
Dataset load_image_folder(const std::string& root, const ImagePreprocess& pre, const std::string& labels_file = "");

// One image file, preprocessed, as [C, H, W]. Decoded with OpenCV (image_file.cpp): the lean build
// without it refuses image files and folders (image_file_no_opencv.cpp, require_opencv).
torch::Tensor load_image(const std::string& path, const ImagePreprocess& pre);

// What a lean build's refusal of image files suggests instead.
inline constexpr const char* kImagesWithoutOpenCV = "give the images as an .npy array [N, C, H, W] instead";

}  // namespace sanity
