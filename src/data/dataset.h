#pragma once
// src/data: images and labels in the model's input space (MNIST/Fashion-MNIST IDX, image folders,
// .npy) and the seeded test beds every check explains.
//
// A labelled image set in the model's input space.
#include <torch/types.h>

#include <string>
#include <vector>

namespace sanity {

struct Dataset {
  std::string name;                      // "mnist/test", a folder path, ...
  torch::Tensor images;                  // [N, C, H, W] float32, already preprocessed
  torch::Tensor labels;                  // [N] int64; -1 where unknown
  std::vector<std::string> class_names;  // may be empty
  // A hash of the images, labels and source ids (load_data sets it; "" when unknown): what results
  // and fitted patterns are keyed by, so other contents at the same path never reuse them.
  std::string content;

  int64_t size() const { return images.defined() ? images.size(0) : 0; }
  // The rows in `index` (an int64 tensor), in that order.
  Dataset select(const torch::Tensor& index, const std::string& suffix = "") const;
};

}  // namespace sanity
