#include "api/explain_files.h"

#include <filesystem>
#include <fstream>

#include "core/sha256.h"
#include "data/npy.h"

namespace sanity::api {

std::string file_stem(const MethodSpec& spec) {
  const std::string text = spec.str();
  std::string s;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || std::string("_.=+-").find(c) != std::string::npos) s += c;
    else if (c == '(' || c == ',') s += "--";
    else if (c == ')' || c == ' ') continue;
    else s += '_';
  }
  // File names stay well under the 255 bytes a file system allows: a long spec keeps its start and
  // a hash of the whole (explain.json maps every file back to its spec).
  if (s.size() > 100) s = s.substr(0, 80) + "--" + sha256_bytes(text).substr(0, 12);
  return s;
}

std::vector<int64_t> to_int64s(const Tensor& t) {
  Tensor c = t.to(torch::kCPU, torch::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<double> to_doubles(const Tensor& t) {
  Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

ExplanationFiles::ExplanationFiles(std::string out, bool png, HeatmapOptions heat)
    : out_(std::move(out)), png_(png), heat_(heat) {
  std::filesystem::create_directories(out_);
}

std::string ExplanationFiles::add(const MethodMaps& m, const Dataset& data, const Tensor& ids) {
  std::string stem = file_stem(m.given);
  for (int k = 2; used_.count(stem); ++k) stem = file_stem(m.given) + "-" + std::to_string(k);
  used_.insert(stem);
  write_npy(out_ + "/" + stem + ".npy", m.maps);
  const int64_t n = m.maps.size(0);
  nlohmann::json e{{"spec", m.given.str()},
                   {"canonical", m.method->spec().str()},
                   {"file", stem + ".npy"},
                   {"uses_model", m.method->uses_model()},
                   {"seconds", m.seconds},
                   {"maps_per_second", m.seconds > 0 ? n / m.seconds : 0.0}};
  if (!m.gradcam_layer.empty()) e["gradcam_layer"] = m.gradcam_layer;
  for (const auto& [name, values] : m.diagnostics) e["diagnostics"][name] = to_doubles(values);
  if (png_) {
    const std::string dir = out_ + "/" + stem;
    std::filesystem::create_directories(dir);
    const std::vector<int64_t> id = to_int64s(ids);
    for (int64_t i = 0; i < n; ++i)
      write_png(dir + "/" + std::to_string(id[i]) + ".png", render_heatmap(m.maps[i], heat_, data.images[i]));
    e["heatmaps"] = stem + "/<image id>.png";
  }
  methods_.push_back(e);
  return stem;
}

void ExplanationFiles::finish(nlohmann::json header) const {
  header["methods"] = methods_;
  std::ofstream(out_ + "/explain.json") << header.dump(2) << "\n";
}

}  // namespace sanity::api
