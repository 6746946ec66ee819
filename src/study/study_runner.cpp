#include "study/study_runner.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "attribution/registry.h"
#include "core/error.h"
#include "core/files.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "data/sources.h"
#include "distributed/coordination.h"
#include "distributed/shard.h"
#include "metrics/registry.h"
#include "models/train_job.h"
#include "report/report.h"
#include "study/check_runner.h"
#include "study/checks/check.h"

namespace fs = std::filesystem;

namespace sanity {
namespace {

// `sanity run --device` where given, else the configuration's.
std::string device_of(const StudyConfig& c, const StudyRunOptions& o) { return o.device.empty() ? c.device : o.device; }
// `sanity run --precision` where given, else the configuration's.
std::string precision_of(const StudyConfig& c, const StudyRunOptions& o) {
  return o.precision.empty() ? c.precision : o.precision;
}

// Trains a built-in model once for the whole study: on rank 0 of a distributed run (the others wait
// and read the file), and under a lock that makes concurrent shards wait for the first to train it.
std::string train_if_needed(const StudyModel& m, const std::string& suffix, const TrainOptions& options,
                            const StudyConfig& c, const StudyRunOptions& o, StudySummary& s) {
  return distributed::run_on_rank0([&] {
    TrainJob job{m.builtin, m.dataset, c.out + "/models/" + m.name + suffix, options, o.data_dir, device_of(c, o),
                 precision_of(c, o)};
    job.options.progress = o.progress;
    std::optional<DirectoryLock> shards_lock;
    if (!o.shard.empty()) shards_lock.emplace(job.out, /*wait=*/true);
    bool reused = false;
    const nlohmann::json metrics = ensure_trained(job, &reused);
    ++(reused ? s.models_reused : s.models_trained);
    std::fprintf(stderr, "%s %s%s: test accuracy %.2f%%, train accuracy %.2f%%\n", reused ? "reusing" : "trained",
                 m.name.c_str(), suffix.c_str(), 100 * metrics.value("test_accuracy", 0.0),
                 100 * metrics.value("train_accuracy", 0.0));
    return job.out + "/model.onnx";
  });
}

void write_study_json(const StudyConfig& c, const StudyRunOptions& o, const std::string& dir) {
  const distributed::World& world = distributed::World::instance();
  nlohmann::json j;
  j["config"] = c.to_json();
  j["config"]["precision"] = precision_of(c, o);  // what ran: it changes the values, unlike the device
  j["versions"] = {{"sanity", SANITY_VERSION}, {"torch", TORCH_VERSION}};
  j["machine"] = {{"threads", torch::get_num_threads()}, {"device", device_of(c, o)}};
  if (world.distributed()) j["machine"]["ranks"] = world.size();
  if (!o.shard.empty()) j["shard"] = o.shard;
  write_file_atomically(dir + "/study.json", j.dump(2) + "\n");
}

// The data check's models, only for a study that runs it.
void add_data_check_models(const StudyModel& m, const StudyConfig& c, const StudyRunOptions& o, StudySummary& s,
                           CheckConfig& cc) {
  const bool data_check = std::any_of(c.checks.begin(), c.checks.end(),
                                      [](const std::string& k) { return parse_method_spec(k).name == "data"; });
  if (data_check && m.permuted) {
    cc.permuted_model = train_if_needed(m, "-permuted", m.permuted_train, c, o, s);
    // The data check's true-label side: the permuted model's images, recipe and seed with the true
    // labels, so that the labels are the only difference (the main model saw 10x the images).
    TrainOptions reference = m.permuted_train;
    reference.permute_labels = false;
    cc.reference_model = train_if_needed(m, "-reference", reference, c, o, s);
  } else if (data_check) {
    cc.permuted_model = m.permuted_onnx;
    cc.reference_model = m.reference_onnx;
  }
}

// A check this model cannot run (data without a permuted-label model) is left out with a note.
void keep_runnable_checks(const StudyModel& m, const std::vector<std::string>& checks, CheckConfig& cc) {
  cc.checks.clear();
  for (const auto& check : checks) {
    const auto& validate = CheckRegistry::instance().get(parse_method_spec(check).name).validate;
    try {
      if (validate) validate(cc);
      cc.checks.push_back(check);
    } catch (const InputError& e) {
      std::fprintf(stderr, "%s: no %s check (%s)\n", m.name.c_str(), check.c_str(), e.what());
    }
  }
}

// The model's layer groups: "blocks", or "Mixed_7c,Mixed_7b".
std::vector<std::string> split_layers(const std::string& layers) {
  std::vector<std::string> out;
  for (size_t start = 0; start < layers.size();) {
    const size_t comma = std::min(layers.find(',', start), layers.size());
    if (comma > start) out.push_back(layers.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// One model's checks, its models trained first where the study builds them.
CheckConfig check_config_for(const StudyModel& m, const StudyConfig& c, const StudyRunOptions& o, StudySummary& s) {
  CheckConfig cc;
  cc.model = m.builtin.empty() ? m.onnx : train_if_needed(m, "", m.train, c, o, s);
  add_data_check_models(m, c, o, s, cc);
  cc.data = m.data;
  cc.data.split = c.split;
  cc.data.data_dir = o.data_dir;
  cc.data.testbed = c.testbed;
  cc.methods = c.methods;
  keep_runnable_checks(m, c.checks, cc);
  cc.metrics = c.metrics;
  cc.layers = split_layers(m.layers);
  cc.reinit = c.reinit;
  cc.faithfulness = c.faithfulness;
  cc.target = c.target;
  cc.batch_size = c.batch_size;
  cc.grid_images = c.grid_images;
  cc.out_dir = c.out;
  cc.progress = o.progress;
  cc.repair = o.repair;
  cc.shard = o.shard;
  cc.device = device_of(c, o);
  cc.precision = precision_of(c, o);
  return cc;
}

void add_units(const CheckSummary& r, StudySummary& s) {
  s.units_done += r.units_done;
  s.units_skipped += r.units_skipped;
  s.units_by_rank.resize(std::max(s.units_by_rank.size(), r.units_by_rank.size()), 0);
  for (size_t i = 0; i < r.units_by_rank.size(); ++i) s.units_by_rank[i] += r.units_by_rank[i];
}

// The whole study's report; a shard's is written once the shards are merged.
void report_or_note(const StudyConfig& c, const StudyRunOptions& o, const distributed::Shard& shard, StudySummary& s) {
  if (c.report && shard.whole()) {
    s.report = distributed::run_on_rank0([&] {
      if (o.progress) std::fprintf(stderr, "writing the report\n");
      return report::write_report(c.out, c.out + "/report").html;
    });
  } else if (!shard.whole()) {
    std::fprintf(stderr, "shard %s done; once every shard is, `sanity merge %s %s/shards/*` joins them and `sanity report "
                 "--study %s` writes the report\n", o.shard.c_str(), c.out.c_str(), c.out.c_str(), c.out.c_str());
  }
}

}  // namespace

void validate_study(const StudyConfig& c) {
  const auto exists = [](const std::string& path, const std::string& field) {
    if (!path.empty() && !fs::exists(path)) throw InputError("study config: field '" + field + "': " + path + " does not exist");
  };
  for (size_t i = 0; i < c.models.size(); ++i) {
    const StudyModel& m = c.models[i];
    const std::string at = "models[" + std::to_string(i) + "].";
    exists(m.onnx, at + "onnx");
    exists(m.permuted_onnx, at + "permuted_onnx");
    exists(m.reference_onnx, at + "reference_onnx");
    exists(m.data.labels, at + "labels");
    if (!m.onnx.empty() && !is_builtin_dataset(m.data.spec)) exists(m.data.spec, at + "data");
  }
  for (const auto& m : c.methods) MethodRegistry::instance().make(m);
  MetricRegistry::instance().make_list(c.metrics);
  CheckConfig probe;
  probe.checks = c.checks;
  for (const Spec& s : probe.resolved_checks()) CheckRegistry::instance().make(s);
  c.faithfulness.validate();
}

StudySummary run_study(const StudyConfig& c, const StudyRunOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  StudySummary s;
  validate_study(c);
  // An absent device, or a precision it lacks, is refused before anything is written.
  parse_precision(precision_of(c, o), parse_device(device_of(c, o)),
                  o.precision.empty() ? "study config: field 'precision' (" + c.precision + ")" : "");
  const distributed::Shard shard = distributed::parse_shard(o.shard);
  const std::string dir = shard.directory(c.out);
  std::optional<DirectoryLock> lock;  // rank 0 alone writes the study directory
  distributed::run_on_rank0([&] {
    ensure_directory(dir, "--out");
    lock.emplace(dir);
    write_study_json(c, o, dir);
    return std::string();
  });
  for (const auto& m : c.models) add_units(run_checks(check_config_for(m, c, o, s)), s);
  report_or_note(c, o, shard, s);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace sanity
