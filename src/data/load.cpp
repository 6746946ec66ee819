#include "data/load.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/hash.h"
#include "core/runtime.h"
#include "data/npy.h"
#include "data/sources.h"

namespace sanity {
namespace {

// numpy's name of a dtype, as users wrote it ("uint8", "float16").
std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kUInt8: return "uint8";
    case torch::kInt8: return "int8";
    case torch::kInt16: return "int16";
    case torch::kInt32: return "int32";
    case torch::kInt64: return "int64";
    case torch::kFloat16: return "float16";
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kBool: return "bool";
    default: return c10::toString(t);
  }
}

// Class indices: a 1-D integer array, one non-negative label per image; `path` names it in errors.
torch::Tensor checked_labels(const torch::Tensor& l, const std::string& path, int64_t images, const std::string& data) {
  if (l.is_floating_point() || l.scalar_type() == torch::kBool)
    throw InputError(path + ": labels dtype is " + dtype_name(l.scalar_type()) +
                     "; expected integer class indices (int64, int32 or uint8)");
  if (l.dim() != 1)
    throw InputError(path + ": labels have " + std::to_string(l.dim()) + " dimensions; expected a 1-D array of classes");
  if (l.size(0) != images)
    throw InputError(path + ": " + std::to_string(l.size(0)) + " labels for " + std::to_string(images) + " inputs in " +
                     data);
  const torch::Tensor out = l.to(torch::kInt64);
  if (out.numel() && out.min().item<int64_t>() < 0)
    throw InputError(path + ": label " + std::to_string(out.min().item<int64_t>()) + " is negative; expected classes >= 0");
  return out;
}

}  // namespace

Dataset dataset_from_arrays(const std::string& name, const torch::Tensor& x, const torch::Tensor& labels,
                            const std::string& labels_name) {
  if (x.dim() != 4)
    throw InputError(name + ": array has " + std::to_string(x.dim()) + " dimensions, expected 4 (N x C x H x W)");
  if (x.scalar_type() != torch::kFloat32 && x.scalar_type() != torch::kFloat64)
    throw InputError(name + ": array dtype is " + dtype_name(x.scalar_type()) +
                     "; images must be the model's preprocessed inputs as float32 (or float64)");
  if (x.size(0) == 0) throw InputError(name + ": the array holds no images (shape [0, ...])");
  Dataset d;
  d.name = name;
  d.images = x.to(torch::kFloat32).contiguous();  // the same tensor when it already is
  d.labels = labels.defined() ? checked_labels(labels, labels_name, x.size(0), name)
                              : torch::full({x.size(0)}, -1, torch::kInt64);
  if (!torch::isfinite(d.images).all().item<bool>()) throw InputError(name + ": array contains NaN or Inf");
  return d;
}

namespace {

// Options an image folder alone reads are refused for other data rather than ignored.
void refuse_folder_options(const DataOptions& o, const std::string& what) {
  const ImagePreprocess none;
  const ImagePreprocess& p = o.preprocess;
  const auto all_equal = [](const std::vector<double>& v, double x) {
    return std::all_of(v.begin(), v.end(), [x](double e) { return e == x; });
  };
  if (p.resize != none.resize || p.crop != none.crop || p.channels != none.channels || !all_equal(p.mean, 0.0) ||
      !all_equal(p.std, 1.0))
    throw InputError("--data " + o.spec + " is " + what + ": --resize, --crop, --channels, --mean, --std and --imagenet "
                     "apply to image folders only (an array must already be the model's input)");
}

// More images asked for than there are: all of them, said.
void note_short_testbed(const DataOptions& o, int64_t available) {
  if (o.count_given && o.testbed.count > available)
    std::fprintf(stderr, "note: --count %lld, but %s holds %lld images: the test bed is all %lld\n",
                 (long long)o.testbed.count, o.spec.c_str(), (long long)available, (long long)available);
}

}  // namespace

LoadedData load_data(const DataOptions& o) {
  SANITY_HOST_PHASE("read data");
  if (o.spec.empty()) throw InputError("--data: missing; give mnist, fashion-mnist, an image folder or a .npy file");
  if (o.testbed.count < 0)
    throw InputError("--count " + std::to_string(o.testbed.count) + ": expected 0 (every image) or more");
  if (o.split != "train" && o.split != "test") throw InputError("--split " + o.split + ": expected train or test");
  if (o.split_given && !is_builtin_dataset(o.spec))
    throw InputError("--split " + o.split + ": only mnist and fashion-mnist have splits; --data " + o.spec + " has none");
  Dataset full;
  if (is_builtin_dataset(o.spec)) {
    if (!o.labels.empty())
      throw InputError("--labels " + o.labels + ": " + o.spec + " has its own labels; --labels is for an image folder "
                       "or a .npy --data");
    refuse_folder_options(o, "a built-in dataset");
    full = load_builtin_dataset(o.spec, o.split, o.data_dir);
  } else if (o.spec.size() > 4 && o.spec.substr(o.spec.size() - 4) == ".npy") {
    refuse_folder_options(o, "an array");
    if (!std::filesystem::exists(o.spec)) throw InputError("--data " + o.spec + ": file not found");
    full = dataset_from_arrays(o.spec, read_npy(o.spec), o.labels.empty() ? torch::Tensor() : read_npy(o.labels),
                               o.labels);
  } else if (std::filesystem::is_directory(o.spec)) {
    full = load_image_folder(o.spec, o.preprocess, o.labels);
  } else {
    throw InputError("--data " + o.spec + ": not mnist, fashion-mnist, an existing image folder or a .npy file");
  }
  note_short_testbed(o, full.size());
  LoadedData r;
  r.data = make_testbed(full, o.testbed, &r.ids);
  r.data.content = dataset_content(r.data, r.ids);
  return r;
}

std::string data_identity(const DataOptions& d, const LoadedData& loaded) {
  std::string s = d.spec;
  if (is_builtin_dataset(d.spec)) s += ":" + d.split;
  s += ':';
  s += std::to_string(loaded.data.size());
  s += ":seed";
  s += std::to_string(d.testbed.seed);
  if (d.testbed.balanced) s += ":balanced";
  return s + "#" + content_key(loaded);
}

std::string content_key(const LoadedData& loaded) { return loaded.data.content; }

std::string dataset_content(const Dataset& data, const torch::Tensor& ids) {
  ContentKey key;
  key.add(data.images).add(data.labels);
  if (ids.defined()) key.add(ids);
  return key.digest().hex();
}

}  // namespace sanity
