#pragma once
// The sanity checks as types: one file per check in this folder, each a Check and one registration
// (registry.cpp). A check says which stages it has, which model each stage explains, what it records
// per stage and per method, and how the report reads it; the runner (study/check_runner.h) computes
// the units of every check of a configuration against the same CheckContext (context.h).
//
//   cascading, bottom_up, independent  model parameter randomization (Adebayo et al. 2018)
//   data          a model trained on permuted labels
//   smprt         smoothed MPRT (Hedstroem et al. 2023)      random_logit  a random other class (Sixt et al.)
//   emprt         efficient MPRT                              csc           cosine similarity convergence
//   pixel_flipping  faithfulness of the trained model's maps (faithfulness/)
//
// Work is stored unit by unit (check, stage, method); a check's options are part of the run's
// identity (CheckConfig::identity), so changing one starts a new run instead of mixing protocols.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "randomization/stages.h"
#include "results/store.h"

namespace sanity {

// Names the report reads results by, defined once (each file registers its check under its name;
// pixel_flipping is kFaithfulnessCheck, faithfulness/record.h).
inline constexpr const char* kCascadingCheck = "cascading";
inline constexpr const char* kCscCheck = "csc";

class CheckContext;
struct CheckConfig;
struct PreparedMethod;
struct StageModel;

// One work unit of a check: a stage for one method, or (method '') the stage's own quantities. Its
// (check, stage, method) is the unit's completion marker in the store.
struct UnitKey {
  int64_t stage = 0;
  std::string method;
};

// What computing a unit produced, in the order the runner commits it. Computing touches no store and
// no study file, so any process of a distributed run can do it (study/check_runner.h).
struct UnitOutput {
  std::vector<std::pair<int64_t, std::string>> labels;              // stage labels found on the way (csc)
  std::vector<std::pair<int64_t, std::vector<Measurement>>> units;  // (stage, rows); the unit's own marker last
  Tensor maps;  // the saliency grid's images of this unit (undefined: none kept)
};

class Check {
 public:
  explicit Check(Spec spec) : spec_(std::move(spec)) {}
  virtual ~Check() = default;
  const std::string& name() const { return spec_.name; }
  const Spec& spec() const { return spec_; }  // resolved: every option filled in

  // The stages, in order; their labels go into the stages table.
  virtual std::vector<Stage> stages(const CheckContext& c) const = 0;
  // Every unit, done or not, in order. The default: per stage, its quantities (method '') when
  // has_stage_unit(), then one unit per method.
  virtual std::vector<UnitKey> units(const CheckContext& c) const;
  // Computes one unit. The default: stage_quantities() of the stage's model, or measure().
  virtual UnitOutput compute(CheckContext& c, const UnitKey& unit) const;
  // Whether the saliency grid keeps this check's maps per stage (maps/<run>/<check>/<stage>/).
  virtual bool keeps_maps() const { return true; }
  // Whether measure() explains each stage's c.stage_model(s) for c.targets_for(it) through
  // c.explain() (parameter randomization): a single-process run then computes those maps together with
  // the trained model's (StageModels::plan).
  virtual bool explains_stage_models() const { return false; }

 protected:
  virtual bool has_stage_unit() const { return true; }
  // The model stage s explains. Default: the trained model with the stage's layers re-initialized.
  virtual Graph model(CheckContext& c, const Stage& s) const;
  // The classes explained at a stage. Default: the configuration's target rule on that model.
  virtual Tensor targets(CheckContext& c, const Graph& model) const;
  // model() and targets() of stage s, built once for the stage's units (StageModels::current).
  const StageModel& stage_model(CheckContext& c, const Stage& s) const;
  // The stage's own quantities (default: test accuracy when labels exist).
  virtual std::vector<Measurement> stage_quantities(CheckContext& c, const Stage& s, const Graph& model) const;
  // One method at one stage: appends its rows and returns the maps to keep for the grid (undefined:
  // none).
  virtual Tensor measure(CheckContext& c, const Stage& s, const PreparedMethod& m,
                         std::vector<Measurement>& rows) const = 0;

 private:
  Spec spec_;
};

using CheckPtr = std::shared_ptr<const Check>;

// How the report shows a check's measurements.
struct CheckReport {
  enum class Figure { None, Similarity, Csc, Faithfulness } figure = Figure::None;
  std::string title;    // "Cascading randomization (top-down)"
  std::string x_title;  // the stage axis: "layers randomized, from the output down to"
  std::string guide;    // reading guide of the similarity figure
  // Ranking score from the last stage (cascading: everything random) or, for independent
  // randomization where every stage is one layer, from the mean over the randomized stages.
  bool score_at_last_stage = true;
};

struct CheckInfo : RegistryEntry {
  std::function<CheckPtr(const Spec& resolved)> make;
  // Throws InputError when the configuration cannot run this check (data without a permuted model).
  std::function<void(const CheckConfig& config)> validate;
  // Whether the check explains CheckConfig::permuted_model (whose weights then key the run).
  bool uses_permuted_model = false;
  // Adds the study settings this check reads beyond its own options (pixel flipping: the
  // faithfulness settings) to a run's identity. Its own options are there already, resolved
  // (CheckConfig::identity).
  std::function<void(const CheckConfig& config, nlohmann::json& identity)> config_identity;
  CheckReport report;
};

// A metric spec option (random_logit, smprt), checked by building the metric.
Option metric_option(std::string fallback, std::string help);

// The checks in the order the report shows them.
class CheckRegistry : public Registry<CheckInfo> {
 public:
  static const CheckRegistry& instance();
  CheckPtr make(const Spec& spec) const { return get(spec.name).make(resolve(spec)); }

 private:
  CheckRegistry();
};

// One registration per file of this folder.
void register_cascading_check(CheckRegistry& r);
void register_independent_check(CheckRegistry& r);
void register_bottom_up_check(CheckRegistry& r);
void register_data_check(CheckRegistry& r);
void register_smprt_check(CheckRegistry& r);
void register_random_logit_check(CheckRegistry& r);
void register_emprt_check(CheckRegistry& r);
void register_csc_check(CheckRegistry& r);
void register_pixel_flipping_check(CheckRegistry& r);

}  // namespace sanity
