#include "study/check_config.h"

#include <algorithm>

#include "core/error.h"

namespace sanity {

const std::vector<std::string>& known_checks() {
  static const std::vector<std::string> k{"cascading", "bottom_up", "independent", "data",
                                          "random_logit", "smprt", "emprt", "csc", "pixel_flipping"};
  return k;
}

void CheckConfig::validate() const {
  for (const auto& c : checks) {
    if (std::find(known_checks().begin(), known_checks().end(), c) == known_checks().end()) {
      std::string valid;
      for (const auto& k : known_checks()) valid += (valid.empty() ? "" : ", ") + k;
      throw InputError("--checks " + c + ": unknown check; valid checks: " + valid);
    }
    if (c == "data" && permuted_model.empty())
      throw InputError("--checks data: needs --permuted-model, the same architecture trained on permuted labels "
                       "(sanity train --permute-labels)");
  }
  if (target != "predicted" && target != "trained" && target != "true")
    throw InputError("--target " + target + ": expected predicted, trained or true");
  if (methods.empty()) throw InputError("--methods: give at least one method");
  if (batch_size < 1) throw InputError("--batch-size: expected at least 1");
  if (smprt_samples < 1) throw InputError("smprt_samples: expected at least 1");
  if (csc_samples < 2) throw InputError("csc_samples: expected at least 2");
  faithfulness.validate();
}

nlohmann::json CheckConfig::identity() const {
  nlohmann::json j = {{"metrics", metrics},
          {"layers", layers},
          {"reinit",
           {{"distribution", to_string(reinit.distribution)},
            {"include_bias", reinit.include_bias},
            {"reset_batchnorm_stats", reinit.reset_batchnorm_stats},
            {"per_image", reinit.per_image},
            {"seed", reinit.seed}}},
          {"target", target},
          {"permuted_model", permuted_model},
          {"random_logit_metric", random_logit_metric},
          {"smprt", {{"metric", smprt_metric}, {"samples", smprt_samples}, {"sigma", smprt_sigma}}},
          {"csc_samples", csc_samples},
          {"fit_data", fit_data}};
  // The faithfulness protocol is part of the identity: a study whose protocol (or whose defaults)
  // changed starts a new run rather than resuming pixel_flipping units measured the old way.
  j["faithfulness"] = faithfulness.to_json();
  return j;
}

nlohmann::json CheckConfig::to_json() const {
  nlohmann::json j = identity();
  j["model"] = model;
  j["methods"] = methods;
  j["checks"] = checks;
  j["data"] = {{"spec", data.spec},
               {"split", data.split},
               {"count", data.testbed.count},
               {"seed", data.testbed.seed},
               {"balanced", data.testbed.balanced},
               {"labels", data.labels}};
  j["batch_size"] = batch_size;
  j["grid_images"] = grid_images;
  j["activation_images"] = activation_images;
  return j;
}

}  // namespace sanity
