#pragma once
// What every check of one `sanity check` run works with: the configuration, the trained model and
// its test bed, the methods and metrics, the results store and run; and the services the checks call,
// cached where results are provably identical (docs/ARCHITECTURE.md, "Caches"), each cache behind
// its own class:
//   original(m), explain(...)     maps (explanation_cache.h): the trained model's, on disk for resume
//                                 and computed with the planned stages'; a stage model's, by content
//   stage_model(s), stage_models() models of randomization stages (stage_models.h): layers shared,
//                                 planned ones built once, the current stage's kept for its units
//   accuracy_of(model)            by weights fingerprint, planned models in the trained model's sweep
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attribution/explain_batch.h"
#include "attribution/method.h"
#include "core/progress.h"
#include "metrics/metric.h"
#include "randomization/stages.h"
#include "results/store.h"
#include "study/check_config.h"
#include "study/checks/explanation_cache.h"
#include "study/checks/stage_models.h"

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
  CheckContext(const CheckContext&) = delete;  // its caches refer to it
  CheckContext& operator=(const CheckContext&) = delete;

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
  // A model file of this run (the permuted-label or reference model), loaded onto the run's device.
  Graph load(const std::string& path) const;
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

  // The trained model with the stage's layers re-initialized (StageModels::build).
  Graph stage_model(const Stage& s) const { return stage_models_.build(s); }
  // The stage models: those planned for explaining with the trained model, the current stage's.
  StageModels& stage_models() { return stage_models_; }
  // The configuration's target rule (predicted per model, trained, true) on `model`.
  Tensor targets_for(const Graph& model) const;
  // The trained model's explanations, from OUT/cache/<run>/original when a run resumes.
  Tensor original(const PreparedMethod& m) { return explanations_.original(m); }
  // Explanations of `model` for a stage of `check` (per-image re-initialization when configured).
  Tensor explain(const PreparedMethod& m, const Graph& model, const Tensor& targets, const Stage& stage,
                 const std::string& check) {
    return explanations_.explain(m, model, targets, stage, check);
  }
  // Test accuracy of `model` (full test split of a built-in dataset, else the labelled test bed) and
  // the number of images it is measured on; nullopt without labels.
  struct Accuracy {
    double value = 0;
    int64_t images = 0;
  };
  std::optional<Accuracy> accuracy_of(const Graph& model);
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

  CheckConfig c_;
  ResultsStore* store_;
  std::vector<PreparedMethod> methods_;
  std::vector<MetricPtr> metrics_;
  torch::Device device_ = torch::kCPU;
  Precision precision_ = Precision::kFloat32;
  Graph trained_;
  Dataset data_, fit_;
  Tensor ids_, targets0_, accuracy_images_, accuracy_labels_;
  std::string data_identity_;
  std::vector<LayerGroup> groups_;
  std::string cache_dir_, run_dir_;
  int64_t run_ = 0, grid_count_ = 0;
  bool has_labels_ = false;
  StageModels stage_models_{*this};
  ExplanationCache explanations_{*this, stage_models_};
  Progress* bar_ = nullptr;
};

// A file-name-safe, readable encoding of a method spec ("smoothgrad(gradient, n=50)" ->
// "smoothgrad_gradient_n-50_"), unique per spec (a short hash is appended when characters were lost).
std::string method_file_name(const std::string& spec);

}  // namespace sanity
