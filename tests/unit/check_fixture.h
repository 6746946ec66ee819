#pragma once
// The small study the runner tests share: two CNNs with different weights (the second stands in for
// the permuted-label model) and `count` digit-like inputs, written into a fresh temp directory.
#include <torch/torch.h>

#include <string>

#include "data/npy.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "test_util.h"

namespace sanity::test {

struct CheckFixture {
  std::string dir, model, permuted, images;
};

inline CheckFixture make_check_fixture(const std::string& name, int64_t count, uint64_t seed) {
  CheckFixture x;
  x.dir = temp_dir(name);
  x.model = x.dir + "/cnn.onnx";
  x.permuted = x.dir + "/permuted.onnx";
  x.images = x.dir + "/images.npy";
  save_onnx(build_cnn(0), x.model);
  save_onnx(build_cnn(7), x.permuted);
  torch::manual_seed(seed);
  write_npy(x.images, (torch::rand({count, 1, 28, 28}) > 0.7).to(torch::kFloat32));
  return x;
}

}  // namespace sanity::test
