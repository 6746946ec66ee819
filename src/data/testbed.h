#pragma once
// The test bed: the N images every method, check and metric is evaluated on (papers: 200),
// reproducible from a seed, optionally balanced across classes.
#include <cstdint>

#include "data/dataset.h"

namespace sanity {

struct TestBedOptions {
  int64_t count = 200;   // <= 0 or >= dataset size: every image, in order
  uint64_t seed = 0;
  bool balanced = false; // round-robin over classes (labels must be known)
};

// Indices into the dataset (sorted ascending, so results keep the dataset's order).
torch::Tensor select_testbed(const Dataset& data, const TestBedOptions& options);
// The selected images and labels; `ids` of the result are the dataset indices.
Dataset make_testbed(const Dataset& data, const TestBedOptions& options, torch::Tensor* ids = nullptr);

}  // namespace sanity
