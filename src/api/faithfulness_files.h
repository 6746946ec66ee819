#pragma once
// `sanity faithfulness`'s output directory: OUT/curves.csv (method, image, curve, step, value),
// OUT/scores.csv (per image and measure), OUT/ranking.csv, OUT/ranking_correlation.csv,
// OUT/faithfulness.json, and the same measures in OUT/results.sqlite (check pixel_flipping).
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <string>

#include "api/faithfulness.h"
#include "results/store.h"

namespace sanity::api {

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
