#pragma once
// Saved explanations for the saliency grid, DIR/maps/<run_id>/ (docs/STUDY_DIRECTORY.md):
//   index.json                       {"images": [ids], "methods": [{"spec", "file"}],
//                                     "checks": {"cascading": [{"stage", "label"}, ...], ...},
//                                     "image_file": "images.npy"}
//   images.npy                       [K, C, H, W] float32, the K inputs as the model sees them
//   <check>/<stage>/<file>.npy       [K, C', H, W] float32, a method's explanations of those images
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace sanity::report {

struct MapsMethod {
  std::string spec;  // canonical method spec, the row label
  std::string file;  // file-name stem of its .npy files
};
struct MapsStage {
  int64_t stage = 0;
  std::string label;  // column label ("original", "fc2", ...)
};
struct MapsCheck {
  std::string name;
  std::vector<MapsStage> stages;  // in stage order
};

struct MapsIndex {
  std::string dir;  // DIR/maps/<run_id>
  std::vector<int64_t> images;
  std::vector<MapsMethod> methods;
  std::vector<MapsCheck> checks;  // randomization checks in display order, then others by name
  std::string image_file;

  std::string image_path() const;
  std::string map_path(const std::string& check, int64_t stage, const MapsMethod& method) const;
};

// Reads and validates DIR/maps/<run_id>/index.json; throws InputError naming the file and field.
MapsIndex read_maps_index(const std::string& run_dir);
// The input images, [K, C, H, W] with K = index.images.size() and C 1 or 3.
torch::Tensor load_images(const MapsIndex& index);
// One method's maps at one stage, [K, C', H, W] with the images' K, H and W, finite, float64.
torch::Tensor load_maps(const MapsIndex& index, const std::string& check, int64_t stage, const MapsMethod& method,
                        at::IntArrayRef image_shape);

}  // namespace sanity::report
