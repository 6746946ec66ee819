#pragma once
// `sanity faithfulness`'s output directory: OUT/curves.csv (method, image, curve, step, value),
// OUT/scores.csv (per image and measure), OUT/ranking.csv, OUT/ranking_correlation.csv,
// OUT/faithfulness.json, and the same measures in OUT/results.sqlite (check pixel_flipping).
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <string>

#include "api/faithfulness.h"
#include "data/load.h"
#include "results/store.h"

namespace sanity::api {

// The store's run for a model (named as the user named it, keyed by its weights), a test bed (by
// content), a protocol and the attribution passes' precision: the same call again resumes it.
RunConfig faithfulness_run(const std::string& model_name, const Graph& model, const DataOptions& data,
                           const LoadedData& loaded, const FaithfulnessOptions& options, Precision precision);
// What faithfulness.json records about the call besides the methods and the ranking.
nlohmann::json faithfulness_header(const std::string& model_name, const DataOptions& data, const Dataset& tested,
                                   const FaithfulnessOptions& options, int64_t batch_size);

class FaithfulnessFiles {
 public:
  // `run`: the store's run for this model, data and protocol (resumed if seen before).
  FaithfulnessFiles(std::string out, const RunConfig& run);
  int64_t run_id() const { return run_; }
  void add(const MethodFaithfulness& m, const Tensor& ids);
  // Writes the ranking files and faithfulness.json (`header` and the methods).
  void finish(const RankingTable& ranking, nlohmann::json header) const;

 private:
  std::string out_;
  std::unique_ptr<ResultsStore> store_;
  int64_t run_ = 0;
  std::ofstream curves_, scores_;
  nlohmann::json methods_ = nlohmann::json::array();
};

}  // namespace sanity::api
