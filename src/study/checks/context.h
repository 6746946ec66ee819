#pragma once
// What every check of one `sanity check` run works with: the configuration, the trained model and
// its test bed, the methods and metrics, the results store and run, and the explanations, cached
// where results are provably identical (docs/ARCHITECTURE.md, "Caches"):
//   original(m)  the trained model's maps, on disk under OUT/cache/<run>/original/ (resume compares
//                against the same maps); computed together with the randomization stages planned
//                for m (explain_stages_with_original), whose maps then wait for their units
//   explain(...) maps of a stage's model, in memory by (method, weights fingerprint, targets), so
//                independent randomization's first stage reuses cascading's
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "attribution/explain_batch.h"
#include "attribution/method.h"
#include "core/progress.h"
#include "metrics/metric.h"
#include "randomization/stages.h"
#include "results/store.h"
#include "study/check_config.h"

namespace sanity {

struct PreparedMethod {
  MethodPtr method;
  std::string spec, file;  // canonical spec; its file-name stem
};

class CheckContext {
 public:
  // `store`: the study's results store, on the one process that writes it; null in the other
  // processes of a distributed run, which only compute units.
  CheckContext(const CheckConfig& config, ResultsStore* store);

  // Loads the model and data, builds methods and metrics; then open_run() names the run by the
  // content of every input (model weights, data, fit data, rules files, permuted model) and checks
  // the maps of units already done. A process without the store joins the run rank 0 opened.
  void prepare();
  RunConfig open_run();  // returns the run's identity
  void join_run(int64_t run);
  // The run's identity: what open_run() looks the run up by.
  RunConfig run_config() const;

  const CheckConfig& config() const { return c_; }
  ResultsStore& store();
  int64_t run() const { return run_; }
  const Graph& trained() const { return trained_; }
  const Tensor& images() const { return data_.images; }
  const Tensor& ids() const { return ids_; }
  const Tensor& trained_targets() const { return targets0_; }
  const std::vector<PreparedMethod>& methods() const { return methods_; }
  const PreparedMethod& method(const std::string& spec) const;  // by canonical spec
  const std::vector<MetricPtr>& metrics() const { return metrics_; }
  const std::vector<LayerGroup>& groups() const { return groups_; }
  int64_t batch_size() const { return c_.batch_size; }
  uint64_t seed() const { return c_.data.testbed.seed; }
  ExplainOptions explain_options() const;

  // The trained model with the stage's layers re-initialized, on the trained model's own layer objects
  // but for those (randomization/stages.h: shared_stage_model; stage 0 shares every layer).
  Graph stage_model(const Stage& s) const;
  // Parameter randomization stages (Check::explains_stage_models) still to compute for each method
  // (by canonical spec): original(m) explains them together with the trained model, chunk by chunk
  // (attribution/explain_batch.h: explain_together), so that each stage's pass starts from the
  // trained model's forward values below its first re-initialized layer (models/activation_reuse.h).
  // Only where this process computes every unit it plans (not in a distributed run).
  void explain_stages_with_original(std::map<std::string, std::vector<Stage>> stages_by_method);
  // The model and targets of a check's stage, built by `make` and kept for the next unit of the same
  // stage (one stage at a time: units of a stage usually follow each other).
  struct StageModel {
    Graph model;
    Tensor targets;
  };
  const StageModel& stage_model_of(const std::string& check, int64_t stage, const std::function<StageModel()>& make);
  // The configuration's target rule (predicted per model, trained, true) on `model`.
  Tensor targets_for(const Graph& model) const;
  // The trained model's explanations, from OUT/cache/<run>/original when a run resumes.
  Tensor original(const PreparedMethod& m);
  // Explanations of `model` for a stage of `check` (per-image re-initialization when configured).
  Tensor explain(const PreparedMethod& m, const Graph& model, const Tensor& targets, const Stage& stage,
                 const std::string& check);
  // Test accuracy of `model` (full test split of a built-in dataset, else the labelled test bed);
  // nullopt without labels.
  std::optional<double> accuracy_of(const Graph& model);
  // The images accuracy_of measured on (0 before its first call).
  int64_t accuracy_count() const { return accuracy_images_.defined() ? accuracy_images_.size(0) : 0; }
  // One row per image of metric(a, b), named by the metric's spec for this map shape.
  void add_rows(std::vector<Measurement>& rows, const Metric& metric, const Tensor& a, const Tensor& b) const;

  // The saliency grid: index.json for the checks that keep maps, then the maps of each unit.
  void prepare_grid(const std::vector<std::pair<std::string, std::vector<Stage>>>& staged_checks);
  void save_grid_maps(const std::string& check, int64_t stage, const PreparedMethod& m, const Tensor& e) const;
  // The images of a unit's maps that the grid keeps (undefined when it keeps none).
  Tensor grid_part(const Tensor& maps) const;

  // What the progress bar says is being computed (none set: nothing).
  void set_progress(Progress* bar) { bar_ = bar; }
  void status(const std::string& s) const;

 private:
  void drop_unsupported_methods();
  void check_batch_memory() const;
  nlohmann::json input_keys() const;
  void note_other_runs(const std::vector<RunInfo>& before, const RunConfig& rc) const;
  void verify_saved_maps();

  void begin_run(int64_t run);
  Tensor explain_with_stages(const PreparedMethod& m);

  CheckConfig c_;
  ResultsStore* store_;
  std::vector<PreparedMethod> methods_;
  std::vector<MetricPtr> metrics_;
  Graph trained_;
  Dataset data_, fit_;
  Tensor ids_, targets0_, accuracy_images_, accuracy_labels_;
  std::string data_identity_;
  std::vector<LayerGroup> groups_;
  std::string cache_dir_, run_dir_;
  int64_t run_ = 0, grid_count_ = 0;
  bool has_labels_ = false;
  static constexpr size_t kStageMapBytes = size_t{1} << 30;
  std::map<std::pair<std::string, uint64_t>, Tensor> stage_maps_;
  size_t stage_map_bytes_ = 0;
  std::map<std::string, Tensor> originals_;
  std::map<std::string, std::vector<Stage>> together_;
  // Every re-initialized layer, by node, shared by the stage models (shared_stage_model).
  mutable std::map<int, std::shared_ptr<Layer>> fresh_layers_;
  // The stage models and targets explain_with_stages uses, by re-initialized nodes.
  struct StageState {
    Graph model;
    Tensor targets;
    uint64_t fingerprint = 0;  // model_fingerprint: accuracies_'s key
    uint64_t key = 0;          // fnv1a(fingerprint, targets): stage_maps_'s key with the method
  };
  std::map<std::vector<int>, StageState> together_models_;
  const StageState& together_model(const Stage& s);
  std::map<uint64_t, double> accuracies_;  // accuracy_of by model fingerprint
  std::pair<std::string, int64_t> stage_key_;
  std::optional<StageModel> stage_model_;
  Progress* bar_ = nullptr;
};

// A file-name-safe, readable encoding of a method spec ("smoothgrad(gradient, n=50)" ->
// "smoothgrad_gradient_n-50_"), unique per spec (a short hash is appended when characters were lost).
std::string method_file_name(const std::string& spec);

}  // namespace sanity
