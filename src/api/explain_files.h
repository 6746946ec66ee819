#pragma once
// `sanity explain`'s output directory: per method DIR/<stem>.npy (N x C x H x W float32, input
// order) and DIR/<stem>/<image id>.png heatmaps, and DIR/explain.json with every option used
// (docs/EXPLAIN.md).
#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "api/explain.h"
#include "attribution/heatmap.h"

namespace sanity::api {

class ExplanationFiles {
 public:
  // `png`: write heatmaps.
  ExplanationFiles(std::string out, bool png, HeatmapOptions heat);
  // Writes one method's files and returns the stem they are named by.
  std::string add(const MethodMaps& m, const Dataset& data, const Tensor& ids);
  // Writes explain.json: `header` (what it records about the model, data and options) and the methods.
  void finish(nlohmann::json header) const;

 private:
  std::string out_;
  nlohmann::json methods_ = nlohmann::json::array();
  bool png_;
  HeatmapOptions heat_;
  std::set<std::string> used_;
};

// A file-name-safe stem for a method spec: "smoothgrad(guided_backprop, n=50)" ->
// "smoothgrad--guided_backprop--n=50". Parentheses and commas become "--"; explain.json maps back.
std::string file_stem(const MethodSpec& spec);

std::vector<int64_t> to_int64s(const Tensor& t);
std::vector<double> to_doubles(const Tensor& t);

}  // namespace sanity::api
