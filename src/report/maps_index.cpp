#include "report/maps_index.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json.h"
#include "data/npy.h"
#include "report/checks.h"
#include "results/checked_npy.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sanity::report {

namespace {

// A name used as a path component: no directories, nothing hidden, no "..".
bool safe_name(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s.find('\\') == std::string::npos && s[0] != '.';
}

struct Fields {
  std::string path;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw InputError("'" + path + "': field '" + field + "' " + what);
  }
  const json& member(const json& obj, const std::string& key, const std::string& field) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(field, "is missing");
    return *it;
  }
  std::string string(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = member(obj, key, field);
    if (!v.is_string()) fail(field, "must be a string");
    return v.get<std::string>();
  }
  int64_t integer(const json& v, const std::string& field) const {
    if (!v.is_number_integer()) fail(field, "must be an integer");
    return v.get<int64_t>();
  }
};

}  // namespace

std::string MapsIndex::image_path() const { return (fs::path(dir) / image_file).string(); }

std::string MapsIndex::map_path(const std::string& check, int64_t stage, const MapsMethod& method) const {
  return (fs::path(dir) / check / std::to_string(stage) / (method.file + ".npy")).string();
}

MapsIndex read_maps_index(const std::string& run_dir) {
  const Fields f{(fs::path(run_dir) / "index.json").string()};
  std::ifstream in(f.path);
  if (!in) throw InputError("'" + f.path + "' is missing (it lists the saved maps of this run)");
  const json j = parse_json_strict(in, "'" + f.path + "'");
  if (!j.is_object()) throw InputError("'" + f.path + "': expected a JSON object");

  MapsIndex index;
  index.dir = run_dir;
  const json& images = f.member(j, "images", "images");
  if (!images.is_array() || images.empty()) f.fail("images", "must be a non-empty array of image ids");
  for (size_t i = 0; i < images.size(); i++) index.images.push_back(f.integer(images[i], "images[" + std::to_string(i) + "]"));

  const json& methods = f.member(j, "methods", "methods");
  if (!methods.is_array() || methods.empty()) f.fail("methods", "must be a non-empty array of {\"spec\", \"file\"}");
  std::set<std::string> files;
  for (size_t i = 0; i < methods.size(); i++) {
    const std::string field = "methods[" + std::to_string(i) + "]";
    if (!methods[i].is_object()) f.fail(field, "must be an object {\"spec\", \"file\"}");
    MapsMethod m{f.string(methods[i], "spec", field + ".spec"), f.string(methods[i], "file", field + ".file")};
    if (!safe_name(m.file)) f.fail(field + ".file", "must be a file-name stem without '/' (got '" + m.file + "')");
    if (!files.insert(m.file).second) f.fail(field + ".file", "repeats '" + m.file + "'");
    index.methods.push_back(std::move(m));
  }

  const json& checks = f.member(j, "checks", "checks");
  if (!checks.is_object() || checks.empty()) f.fail("checks", "must be a non-empty object {check: [stages]}");
  for (const auto& [name, stages] : checks.items()) {
    const std::string field = "checks." + name;
    if (!safe_name(name)) f.fail(field, "is not a valid check name");
    if (!stages.is_array() || stages.empty()) f.fail(field, "must be a non-empty array of {\"stage\", \"label\"}");
    MapsCheck c{name, {}};
    for (size_t i = 0; i < stages.size(); i++) {
      const std::string sf = field + "[" + std::to_string(i) + "]";
      if (!stages[i].is_object()) f.fail(sf, "must be an object {\"stage\", \"label\"}");
      const int64_t stage = f.integer(f.member(stages[i], "stage", sf + ".stage"), sf + ".stage");
      if (stage < 0) f.fail(sf + ".stage", "must be >= 0");
      if (!c.stages.empty() && stage <= c.stages.back().stage) f.fail(sf + ".stage", "must increase along the list");
      c.stages.push_back({stage, f.string(stages[i], "label", sf + ".label")});
    }
    index.checks.push_back(std::move(c));
  }
  // Display order: the randomization checks as the report orders them, then any other by name.
  auto rank = [](const std::string& name) {
    const auto& known = randomization_checks();
    for (size_t i = 0; i < known.size(); i++)
      if (known[i].name == name) return i;
    return known.size();
  };
  std::stable_sort(index.checks.begin(), index.checks.end(),
                   [&](const MapsCheck& a, const MapsCheck& b) { return rank(a.name) < rank(b.name); });

  index.image_file = f.string(j, "image_file", "image_file");
  if (!safe_name(index.image_file)) f.fail("image_file", "must be a file name in the run's maps folder");
  return index;
}

static torch::Tensor read_npy_at(const std::string& path) {
  if (!fs::is_regular_file(path)) throw InputError("'" + path + "' is missing (listed by its index.json)");
  return read_checked_npy(path);
}

torch::Tensor load_images(const MapsIndex& index) {
  const std::string path = index.image_path();
  torch::Tensor x = read_npy_at(path);
  const int64_t k = static_cast<int64_t>(index.images.size());
  if (x.dim() != 4 || x.size(0) != k || (x.size(1) != 1 && x.size(1) != 3))
    throw InputError("'" + path + "': shape " + c10::str(x.sizes()) + ", expected [" + std::to_string(k) +
                     ", 1 or 3, H, W] (one image per id in index.json)");
  if (!x.is_floating_point() || !torch::isfinite(x).all().item<bool>())
    throw InputError("'" + path + "': expected finite floating-point values");
  return x.to(torch::kFloat64);
}

torch::Tensor load_maps(const MapsIndex& index, const std::string& check, int64_t stage, const MapsMethod& method,
                        at::IntArrayRef image_shape) {
  const std::string path = index.map_path(check, stage, method);
  torch::Tensor m = read_npy_at(path);
  if (m.dim() != 4 || m.size(0) != image_shape[0] || m.size(2) != image_shape[2] || m.size(3) != image_shape[3])
    throw InputError("'" + path + "': shape " + c10::str(m.sizes()) + ", expected [" + std::to_string(image_shape[0]) +
                     ", C, " + std::to_string(image_shape[2]) + ", " + std::to_string(image_shape[3]) +
                     "] (the images' count and size)");
  if (!m.is_floating_point() || !torch::isfinite(m).all().item<bool>())
    throw InputError("'" + path + "': expected finite floating-point values (found NaN, Inf or integers)");
  return m.to(torch::kFloat64);
}

}  // namespace sanity::report
