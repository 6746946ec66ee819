#pragma once
// The small study the runner tests share: two CNNs with different weights (the second stands in for
// the permuted-label model) and `count` digit-like inputs, written into a fresh temp directory.
#include <torch/torch.h>

#include <string>

#include "data/npy.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "results/store.h"
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

// Every measurement of a store as text, in key order (run ids left out): equal strings mean equal
// stores.
inline std::string store_rows_text(const std::string& db) {
  std::string out;
  for (const auto& r : ResultsStore(db, true).rows()) {
    char value[64];
    std::snprintf(value, sizeof value, "%.17g", r.value);
    out += r.check + "|" + std::to_string(r.stage) + "|" + r.method + "|" + r.metric + "|" + r.layer + "|" +
           std::to_string(r.image) + "|" + std::to_string(r.step) + "|" + value + "\n";
  }
  return out;
}

}  // namespace sanity::test
