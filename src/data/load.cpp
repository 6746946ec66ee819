#include "data/load.h"

#include <filesystem>

#include "core/error.h"
#include "data/npy.h"
#include "data/sources.h"

namespace sanity {

LoadedData load_data(const DataOptions& o) {
  if (o.spec.empty()) throw InputError("--data: missing; give mnist, fashion-mnist, an image folder or a .npy file");
  Dataset full;
  if (is_builtin_dataset(o.spec)) {
    full = load_builtin_dataset(o.spec, o.split, o.data_dir);
  } else if (o.spec.size() > 4 && o.spec.substr(o.spec.size() - 4) == ".npy") {
    if (!std::filesystem::exists(o.spec)) throw InputError("--data " + o.spec + ": file not found");
    torch::Tensor x = read_npy(o.spec);
    if (x.dim() != 4)
      throw InputError(o.spec + ": array has " + std::to_string(x.dim()) + " dimensions, expected 4 (N x C x H x W)");
    if (x.scalar_type() != torch::kFloat32 && x.scalar_type() != torch::kFloat64)
      throw InputError(o.spec + ": array dtype is not float32 (save preprocessed inputs as float32)");
    full.name = o.spec;
    full.images = x.to(torch::kFloat32);
    full.labels = torch::full({x.size(0)}, -1, torch::kInt64);
    if (!o.labels.empty()) {
      torch::Tensor l = read_npy(o.labels).to(torch::kInt64).reshape({-1});
      if (l.size(0) != x.size(0))
        throw InputError(o.labels + ": " + std::to_string(l.size(0)) + " labels for " + std::to_string(x.size(0)) +
                         " inputs in " + o.spec);
      full.labels = l;
    }
    if (!torch::isfinite(full.images).all().item<bool>()) throw InputError(o.spec + ": array contains NaN or Inf");
  } else if (std::filesystem::is_directory(o.spec)) {
    full = load_image_folder(o.spec, o.preprocess, o.labels);
  } else {
    throw InputError("--data " + o.spec + ": not mnist, fashion-mnist, an existing image folder or a .npy file");
  }
  LoadedData r;
  r.data = make_testbed(full, o.testbed, &r.ids);
  return r;
}

}  // namespace sanity
