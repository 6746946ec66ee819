#include "study/check_config.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "distributed/shard.h"
#include "metrics/registry.h"
#include "study/checks/check.h"

namespace sanity {

std::vector<Spec> CheckConfig::resolved_checks() const {
  std::vector<Spec> out;
  for (const auto& text : checks) {
    Spec s;
    try {
      s = CheckRegistry::instance().resolve(parse_method_spec(text));
    } catch (const InputError& e) {
      throw InputError("--checks " + text + ": " + e.what());
    }
    for (const auto& seen : out)
      if (seen.name == s.name) throw InputError("--checks: " + s.name + " is given twice");
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// The data check's models are given for it alone, and none of them is the trained model itself.
void validate_data_models(const CheckConfig& c, const std::vector<Spec>& resolved) {
  const bool data = std::any_of(resolved.begin(), resolved.end(), [](const Spec& s) {
    return CheckRegistry::instance().get(s.name).uses_permuted_model;
  });
  for (const auto& [option, path] : {std::pair{"--permuted-model", c.permuted_model}, {"--reference-model", c.reference_model}}) {
    if (path.empty()) continue;
    if (!data) throw InputError(std::string(option) + " " + path + ": only the data check reads it, and --checks has no data");
    std::error_code ec;
    if (path == c.permuted_model && (path == c.model || std::filesystem::equivalent(path, c.model, ec)))
      throw InputError(std::string(option) + " " + path + ": that is --model itself; the data check compares the trained "
                       "model with one trained on permuted labels");
  }
}

}  // namespace

void CheckConfig::validate() const {
  const std::vector<Spec> resolved = resolved_checks();
  if (resolved.empty())
    throw InputError("--checks: empty; give one or more of " + CheckRegistry::instance().names());
  for (const Spec& s : resolved)
    if (const auto& v = CheckRegistry::instance().get(s.name).validate) v(*this);
  validate_data_models(*this, resolved);
  if (target != "predicted" && target != "trained" && target != "true")
    throw InputError("--target " + target + ": expected predicted, trained or true");
  if (methods.empty()) throw InputError("--methods: give at least one method");
  if (batch_size < 1) throw InputError("--batch-size: expected at least 1");
  if (grid_images < 0) throw InputError("--grid-images " + std::to_string(grid_images) + ": expected 0 or more");
  if (activation_images < 1) throw InputError("activation_images: expected at least 1");
  faithfulness.validate();
  distributed::parse_shard(shard);
}

namespace {

// Every check's resolved spec (each option, defaults filled in), whether or not this invocation runs
// it: a later one that adds the check with other options is then another run. Derived, never written
// per check, so an option added to a check cannot be left out of the identity.
nlohmann::json check_options(const std::vector<Spec>& given) {
  nlohmann::json out = nlohmann::json::object();
  for (const CheckInfo& info : CheckRegistry::instance().entries()) {
    const auto it = std::find_if(given.begin(), given.end(), [&](const Spec& s) { return s.name == info.name; });
    out[info.name] = (it != given.end() ? *it : CheckRegistry::instance().resolve(Spec{info.name, {}, {}})).options;
  }
  return out;
}

// The metrics as resolved specs: "ssim" and "ssim(data_range=1)" are one run.
std::vector<std::string> resolved_metrics(const std::string& metrics) {
  std::vector<std::string> out;
  for (const Spec& s : parse_method_list(metrics)) out.push_back(MetricRegistry::instance().resolve(s).str());
  return out;
}

}  // namespace

nlohmann::json CheckConfig::identity() const {
  const std::vector<Spec> given = resolved_checks();
  nlohmann::json j = {{"metrics", resolved_metrics(metrics)},
                      {"layers", layers},
                      {"reinit",
                       {{"distribution", to_string(reinit.distribution)},
                        {"include_bias", reinit.include_bias},
                        {"reset_batchnorm_stats", reinit.reset_batchnorm_stats},
                        {"per_image", reinit.per_image},
                        {"seed", reinit.seed}}},
                      {"target", target},
                      // The batch plan: a map's last bits depend on the rows it shared its passes with
                      // (attribution/explain_batch.h), so a run resumes only with the same batch size.
                      {"batch_size", batch_size},
                      {"permuted_model", permuted_model},
                      {"reference_model", reference_model},
                      {"fit_data", fit_data},
                      // Bumped whenever a stored quantity's definition changes, so a store never mixes
                      // two definitions under one run. Revision 2 defines activation_rank_corr over
                      // per-channel means and eMPRT as NaN for a constant trained map.
                      {"definitions", kDefinitionsRevision},
                      {"check_options", check_options(given)}};
  for (const CheckInfo& info : CheckRegistry::instance().entries())
    if (info.config_identity) info.config_identity(*this, j);
  // Only when not float32: the runs stored before precision was an option (all float32) resume.
  if (precision != "float32") j["precision"] = precision;
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
  j["device"] = device;
  j["precision"] = precision;
  return j;
}

}  // namespace sanity
