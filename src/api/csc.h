#pragma once
// Cosine Similarity Convergence (Sixt et al. 2020, metrics/csc.h) of every sweep method, from each
// starting signal, handed to a sink one result at a time; and `sanity csc`'s files.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "api/inputs.h"
#include "metrics/csc.h"

namespace sanity::api {

struct CscRequest {
  std::vector<MethodSpec> methods;
  std::vector<CscOptions::Start> starts{CscOptions::Start::Random};
  CscOptions options;               // inject, samples, seed, layers, images_per_batch (start: per entry)
  const FitContext* fit = nullptr;
  std::string data_name = "the data";
};

struct CscRun {
  CscResult result;
  double seconds = 0;
};

// The methods `sanity csc` compares by default: the modified-backprop family of Sixt et al. 2020 and
// the gradient as the reference that converges to nothing.
const std::string& default_csc_methods();

// Parses "random", "classes" or "both".
std::vector<CscOptions::Start> parse_csc_starts(const std::string& text);

void csc(const Graph& model, const Tensor& images, const Tensor& ids, const CscRequest& request,
         const std::function<void(const CscRun&)>& sink);

// OUT/csc.csv (one row per method, start and layer) and OUT/csc.json (`header` and the results).
void write_csc_files(const std::string& out, const std::vector<CscRun>& runs, nlohmann::json header);

// The lowest layer with more than one channel and pooled values (what `sanity csc` prints); null if none.
const CscLayer* lowest_layer(const CscResult& r);

}  // namespace sanity::api
