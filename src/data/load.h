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
  bool count_given = false;   // the user asked for testbed.count: fewer images than that is said
  bool split_given = false;   // the user chose the split: refused for data that has none
};

struct LoadedData {
  Dataset data;        // the selected test bed
  torch::Tensor ids;   // [N] int64: index of each selected image in the full source
};

LoadedData load_data(const DataOptions& options);

// Images already in memory (a .npy file's array, the Python module's NumPy array) checked and made a
// Dataset the way --data X.npy is: N x C x H x W float32 (float64 converted; float32 in C order is
// kept, not copied), at least one image, all finite; `labels` one integer class >= 0 per image, or
// undefined (unknown, -1). `name` and `labels_name` name the arrays in errors ("X.npy: array has 3
// dimensions, expected 4 (N x C x H x W)").
Dataset dataset_from_arrays(const std::string& name, const torch::Tensor& images, const torch::Tensor& labels = {},
                            const std::string& labels_name = "labels");

// What a study's results of this data are keyed by: the source and test-bed options, the number of
// images actually selected, and a hash of their contents (images, labels, ids): replacing X.npy by
// other images at the same path gives another key ("X.npy:4:seed0#" and 32 hex digits).
std::string data_identity(const DataOptions& options, const LoadedData& loaded);
// The content part alone (Dataset::content): the 32 hex digits of the images', labels' and ids'
// XXH3-128 content key (core/hash.h).
std::string content_key(const LoadedData& loaded);
// The same hash for any dataset (ids undefined: the images and labels alone).
std::string dataset_content(const Dataset& data, const torch::Tensor& ids = {});

}  // namespace sanity
