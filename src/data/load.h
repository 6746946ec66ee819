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

// What a study's results of this data are keyed by: the source and test-bed options, the number of
// images actually selected, and a hash of their contents (images, labels, ids): replacing X.npy by
// other images at the same path gives another key ("X.npy:4:seed0#1a2b3c4d5e6f7081").
std::string data_identity(const DataOptions& options, const LoadedData& loaded);
// The content part alone (Dataset::content): 16 hex digits of the FNV-1a hash of the images,
// labels and ids.
std::string content_key(const LoadedData& loaded);
// The same hash for any dataset (ids undefined: the images and labels alone).
std::string dataset_content(const Dataset& data, const torch::Tensor& ids = {});

}  // namespace sanity
