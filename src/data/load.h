#pragma once
// The --data argument, resolved: a built-in dataset name (mnist, fashion-mnist), an image folder,
// or a .npy array of already-preprocessed inputs (N x C x H x W float32). Commands share this so
// every one accepts the same data.
#include <string>

#include "data/dataset.h"
#include "data/image_folder.h"
#include "data/testbed.h"

namespace sanity {

struct DataOptions {
  std::string spec;           // mnist | fashion-mnist | <folder> | <file.npy>
  std::string split = "test"; // built-in datasets
  std::string data_dir;       // cache of built-in datasets ("" = default)
  std::string labels;         // image folder: labels file; .npy: optional labels .npy (int64 [N])
  ImagePreprocess preprocess; // image folders
  TestBedOptions testbed;     // which images (count, seed, balanced)
};

struct LoadedData {
  Dataset data;        // the selected test bed
  torch::Tensor ids;   // [N] int64: index of each selected image in the full source
};

LoadedData load_data(const DataOptions& options);

}  // namespace sanity
