#include "study/checks/context.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "attribution/registry.h"
#include "core/error.h"
#include "core/files.h"
#include "core/sha256.h"
#include "data/npy.h"
#include "data/sources.h"
#include "metrics/registry.h"
#include "models/model_io.h"
#include "models/train.h"
#include "results/checked_npy.h"
#include "core/runtime.h"
#include "attribution/pattern.h"
#include "study/checks/check.h"

namespace fs = std::filesystem;

namespace sanity {

std::string method_file_name(const std::string& spec) {
  std::string out;
  bool lost = false;
  for (char c : spec) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') out += c;
    else if (c == '(' || c == ',') out += '_';
    else if (c == '=') out += '-';
    else if (c == ')' || c == ' ') continue;
    else lost = true;
  }
  if (lost || out.size() > 120) out = out.substr(0, 100) + "_" + sha256_bytes(spec).substr(0, 8);
  return out;
}

namespace {

// A short fingerprint of the model's weights: a retrained model at the same path is a new run.
std::string weights_fingerprint(const Graph& g) {
  std::string bytes;
  for (const auto& n : g.nodes())
    for (const auto& p : n.layer->params()) {
      Tensor t = p.value.detach().to(torch::kCPU).contiguous();
      bytes.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    }
  return sha256_bytes(bytes).substr(0, 12);
}

// The data check's models (permuted-label, reference) must be the same network trained on other labels.
void check_same_architecture(const Graph& trained, const Graph& other, const std::string& path,
                             const std::string& option = "--permuted-model") {
  const auto layers = [](const Graph& g) {
    std::vector<std::string> s;
    for (const auto& n : g.nodes()) {
      std::string k(kind_name(n.layer->kind()));
      for (const auto& p : n.layer->params()) k += " " + p.name + c10::str(p.value.sizes());
      s.push_back(k);
    }
    return s;
  };
  const auto a = layers(trained), b = layers(other);
  if (a == b) return;
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  throw InputError(option + " " + path + ": not the architecture of --model (layer " + std::to_string(i) + " is " +
                   (i < b.size() ? b[i] : "missing") + ", expected " + (i < a.size() ? a[i] : "none") +
                   "); give the same network trained on other labels");
}

void write_json(const std::string& path, const nlohmann::json& j) {
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomically(path, j.dump(2) + "\n");
}

}  // namespace

CheckContext::CheckContext(const CheckConfig& config, ResultsStore* store) : c_(config), store_(store) {}

ResultsStore& CheckContext::store() {
  if (!store_) throw std::logic_error("the results store is written by rank 0 alone");
  return *store_;
}

const PreparedMethod& CheckContext::method(const std::string& spec) const {
  for (const auto& m : methods_)
    if (m.spec == spec) return m;
  throw std::logic_error("no prepared method " + spec);
}

void CheckContext::prepare() {
  bool fits = false;
  for (const auto& m : c_.methods) {
    PreparedMethod p;
    p.method = MethodRegistry::instance().make(m);
    p.spec = p.method->spec().str();
    p.file = method_file_name(p.spec);
    fits = fits || fits_on_data(p.method->spec());
    methods_.push_back(p);
  }
  metrics_ = MetricRegistry::instance().make_list(c_.metrics);
  device_ = parse_device(c_.device);
  precision_ = parse_precision(c_.precision, device_);
  trained_ = load(c_.model);
  LoadedData loaded = load_data(c_.data);
  data_ = loaded.data;
  ids_ = loaded.ids;
  data_identity_ = data_identity(c_.data, loaded);
  trained_.check_input(data_.images, "--data " + c_.data.spec);
  const Tensor outputs = predict_logits(trained_, data_.images, c_.batch_size);
  require_finite_outputs(outputs, "--data " + c_.data.spec);
  require_labels_in_range(data_.labels, outputs.size(1), "--data " + c_.data.spec);
  groups_ = layer_groups(trained_, c_.layers);
  if (fits && c_.fit_data == "auto" && is_builtin_dataset(c_.data.spec)) {
    fit_ = load_builtin_dataset(c_.data.spec, "train", c_.data.data_dir);
    fit_.content = dataset_content(fit_);
  }
  if (fs::path(c_.model).extension() == ".onnx") cache_dir_ = fs::absolute(c_.model).parent_path().string();
  check_batch_memory();
  drop_unsupported_methods();
  grid_count_ = std::min<int64_t>(c_.grid_images, data_.size());
}

Graph CheckContext::load(const std::string& path) const {
  return load_model(path, 0, device_);
}

// The largest batch must fit in memory: the forward values of every node are kept for the backward
// sweep, and the sweep holds about as much again. Estimated from one image, before any work.
void CheckContext::check_batch_memory() const {
  torch::NoGradGuard no_grad;
  size_t per_image = 0;
  for (const Tensor& a : trained_.forward_all(data_.images.narrow(0, 0, 1).to(trained_.device())))
    if (a.defined()) per_image += a.nbytes();
  const double need = 2.5 * static_cast<double>(per_image) * static_cast<double>(c_.batch_size);
  const double have = memory_for_batches(device_);
  if (have > 0 && need > 0.8 * have) {
    const int64_t fits = std::max<int64_t>(1, static_cast<int64_t>(0.8 * have / (2.5 * static_cast<double>(per_image))));
    throw InputError("--batch-size " + std::to_string(c_.batch_size) + ": a batch would need about " +
                     std::to_string(static_cast<int64_t>(need / 1e9)) + " GB of " + memory_owner(device_) + " " +
                     std::to_string(static_cast<int64_t>(have / 1e9)) + " GB; give --batch-size " +
                     std::to_string(fits) + " or less");
  }
}

RunConfig CheckContext::run_config() const {
  RunConfig rc;
  rc.model = c_.model + "#" + weights_fingerprint(trained_);
  rc.data = data_identity_;
  rc.options = c_.identity();
  rc.options["inputs"] = input_keys();
  // What the report must say about the model (a BatchNorm folded into its convs by the exporter).
  if (const auto it = trained_.metadata.find("batchnorm_folded"); it != trained_.metadata.end())
    rc.options["model_note"] = it->second;
  rc.seed = c_.data.testbed.seed;
  return rc;
}

RunConfig CheckContext::open_run() {
  const RunConfig rc = run_config();
  const std::vector<RunInfo> before = store().runs();
  const int64_t run = store().open_run(rc);
  const bool resumed = std::any_of(before.begin(), before.end(), [&](const RunInfo& r) { return r.id == run; });
  run_dir_ = std::to_string(run);
  if (!resumed) note_other_runs(before, rc);
  begin_run(run);
  if (resumed) verify_saved_maps();
  write_json(c_.out_dir + "/maps/" + run_dir_ + "/config.json", c_.to_json());
  return rc;
}

void CheckContext::join_run(int64_t run) { begin_run(run); }

void CheckContext::begin_run(int64_t run) {
  run_ = run;
  run_dir_ = std::to_string(run);
  has_labels_ = data_.labels.defined() && (data_.labels >= 0).all().item<bool>();
  if (c_.target == "true" && !has_labels_) throw InputError("--target true: the data has no labels");
  targets0_ = targets_for(trained_);
}

// What else the results depend on, by content: the rules files of LRP methods, the training images
// pattern methods fit on, and the permuted-label and reference models of the data check.
nlohmann::json CheckContext::input_keys() const {
  nlohmann::json j = nlohmann::json::object();
  std::vector<Spec> todo;
  for (const auto& m : methods_) todo.push_back(m.method->spec());
  for (size_t i = 0; i < todo.size(); ++i) {
    if (todo[i].has("rules")) {
      const std::string path = todo[i].get_string("rules", "");
      j["rules"][path] = sha256_file(path).substr(0, 16);
    }
    const std::vector<Spec> inner = todo[i].methods;
    todo.insert(todo.end(), inner.begin(), inner.end());
  }
  if (fit_.size() > 0) j["fit_data"] = fit_.name + "#" + fit_.content;
  bool permuted_used = false;
  for (const Spec& s : c_.resolved_checks()) permuted_used = permuted_used || CheckRegistry::instance().get(s.name).uses_permuted_model;
  if (permuted_used && !c_.permuted_model.empty()) {
    const Graph permuted = load_model(c_.permuted_model, 0, device_);
    check_same_architecture(trained_, permuted, c_.permuted_model);
    j["permuted_model"] = weights_fingerprint(permuted);
    if (!c_.reference_model.empty()) {
      const Graph reference = load_model(c_.reference_model, 0, device_);
      check_same_architecture(trained_, reference, c_.reference_model, "--reference-model");
      j["reference_model"] = weights_fingerprint(reference);
    }
  }
  return j;
}

// A new run where the store already has runs of this model file and data source: one line saying
// what differs from the latest of them, so nobody mistakes the older results for these.
void CheckContext::note_other_runs(const std::vector<RunInfo>& before, const RunConfig& rc) const {
  const auto head = [](const std::string& s) { return s.substr(0, s.find('#')); };
  const auto source = [&](const std::string& data) { return head(data).substr(0, head(data).find(':')); };
  std::vector<const RunInfo*> same;
  for (const RunInfo& r : before)
    if (head(r.config.model) == head(rc.model) && source(r.config.data) == source(rc.data)) same.push_back(&r);
  if (same.empty()) return;
  const RunInfo& r = *same.back();
  std::vector<std::string> what;
  if (r.config.model != rc.model) what.push_back("model weights");
  // An earlier version keyed content by 16 hexadecimal digits (64-bit FNV-1a); the same images then
  // differ only in the key, and this run computes their results once again beside the old ones.
  const bool only_key = head(r.config.data) == head(rc.data) && r.config.data.size() + 16 == rc.data.size();
  if (r.config.data != rc.data)
    what.push_back(only_key ? "the data's content key (an earlier version's 64-bit key; XXH3-128 now)"
                            : "data (" + r.config.data + " -> " + rc.data + ")");
  if (r.config.options.value("inputs", nlohmann::json()) != rc.options["inputs"]) what.push_back("other inputs");
  nlohmann::json a = r.config.options, b = rc.options;
  a.erase("inputs");
  b.erase("inputs");
  if (a != b) what.push_back("options");
  std::string list;
  for (const auto& w : what) list += (list.empty() ? "" : ", ") + w;
  const std::string older =
      same.size() > 1 ? " (and " + std::to_string(same.size() - 1) + " earlier run(s) of them)" : std::string();
  std::fprintf(stderr, "note: %s/results.sqlite: run %lld of this model and data differs in %s; its results%s are "
                       "kept apart, this is run %s\n",
               c_.out_dir.c_str(), (long long)r.id, list.c_str(), older.c_str(), run_dir_.c_str());
}

// Every unit done kept its grid maps (maps/<run>/<check>/<stage>/<method>.npy) with their checksums: a
// missing, truncated or garbled one is an error naming it, or with --repair its unit is computed again.
void CheckContext::verify_saved_maps() {
  if (std::min<int64_t>(c_.grid_images, data_.size()) == 0) return;
  std::map<std::string, bool> keeps;
  for (const auto& e : CheckRegistry::instance().entries())
    keeps[e.name] = e.make(CheckRegistry::instance().resolve(Spec{e.name, {}, {}}))->keeps_maps();
  std::vector<std::string> damaged;
  for (const WorkUnit& u : store().done_units(run_)) {
    const auto it = std::find_if(methods_.begin(), methods_.end(), [&](const PreparedMethod& m) { return m.spec == u.method; });
    if (it == methods_.end() || !keeps[u.check]) continue;
    const std::string path = c_.out_dir + "/maps/" + run_dir_ + "/" + u.check + "/" + std::to_string(u.stage) + "/" +
                             it->file + ".npy";
    const std::string problem = checked_npy_problem(path);
    if (problem.empty()) continue;
    if (c_.repair) store().forget_unit(u);
    else damaged.push_back(problem);
  }
  if (!damaged.empty())
    throw InputError("study " + c_.out_dir + ": " + std::to_string(damaged.size()) + " saved map(s) damaged, first " +
                     damaged[0] + "; run the same command again with --repair to compute their units again");
}

// A method the model cannot support (GradCAM without a conv layer) is left out with a message
// rather than failing the study: tried on one image of the trained model.
void CheckContext::drop_unsupported_methods() {
  std::vector<PreparedMethod> kept;
  const Tensor x = data_.images.narrow(0, 0, 1), target = predict_logits(trained_, x).argmax(1);
  // The configured batch size (one image is one chunk anyway): it is also what methods that learn
  // from data fit with, and PatternAttribution's 1,000 fitting images one at a time took 8 s.
  const ExplainOptions o = explain_options();
  for (auto& m : methods_) {
    try {
      explain_all(*m.method, trained_, x, target, ids_.narrow(0, 0, 1), o);
      kept.push_back(m);
    } catch (const UnsupportedError& e) {
      std::fprintf(stderr, "skipping %s on %s: %s\n", m.spec.c_str(), c_.model.c_str(), e.what());
    }
  }
  methods_ = kept;
  if (methods_.empty()) throw UnsupportedError("no method of --methods applies to " + c_.model);
}

ExplainOptions CheckContext::explain_options() const {
  ExplainOptions o{c_.batch_size, c_.data.testbed.seed};
  o.precision = precision_;
  if (fit_.size() > 0) o.fit_data = &fit_;
  o.cache_dir = cache_dir_;
  o.save_fitted = false;  // refit in each process (kept in memory): nothing is written beside the models
  return o;
}

Tensor CheckContext::targets_for(const Graph& model) const {
  if (c_.target == "true") return data_.labels;
  if (c_.target == "trained" && targets0_.defined()) return targets0_;
  return predict_logits(model, data_.images, c_.batch_size).argmax(1);
}

// Accuracy on the full test split for built-in datasets (200 images are too few to see chance
// level clearly), else on the labelled test bed.
std::optional<CheckContext::Accuracy> CheckContext::accuracy_of(const Graph& model) {
  if (!accuracy_images_.defined() && !has_labels_) return std::nullopt;
  if (!accuracy_images_.defined()) {
    if (is_builtin_dataset(c_.data.spec)) {
      Dataset full = load_builtin_dataset(c_.data.spec, c_.data.split, c_.data.data_dir);
      accuracy_images_ = full.images;
      accuracy_labels_ = full.labels;
    } else {
      accuracy_images_ = data_.images;
      accuracy_labels_ = data_.labels;
    }
  }
  return Accuracy{stage_models_.accuracy(model, accuracy_images_, accuracy_labels_), accuracy_images_.size(0)};
}

void CheckContext::add_rows(std::vector<Measurement>& rows, const Metric& metric, const Tensor& a, const Tensor& b) const {
  const std::string name = metric.spec_for(a.sizes()).str();
  const Tensor scores = metric.compare(a, b);
  for (int64_t i = 0; i < scores.size(0); ++i) rows.push_back({name, scores[i].item<double>(), ids_[i].item<int64_t>()});
}

void CheckContext::prepare_grid(const std::vector<std::pair<std::string, std::vector<Stage>>>& staged_checks) {
  const std::string dir = c_.out_dir + "/maps/" + run_dir_;
  fs::create_directories(dir);
  write_checked_npy(dir + "/images.npy", data_.images.narrow(0, 0, grid_count_));
  nlohmann::json index;
  index["image_file"] = "images.npy";
  index["images"] = std::vector<int64_t>(ids_.data_ptr<int64_t>(), ids_.data_ptr<int64_t>() + grid_count_);
  for (const auto& m : methods_) index["methods"].push_back({{"spec", m.spec}, {"file", m.file}});
  for (const auto& [check, stages] : staged_checks)
    for (const auto& s : stages) index["checks"][check].push_back({{"stage", s.index}, {"label", s.name}});
  write_json(dir + "/index.json", index);
}

void CheckContext::save_grid_maps(const std::string& check, int64_t stage, const PreparedMethod& m, const Tensor& e) const {
  const Tensor kept = grid_part(e);
  if (!kept.defined()) return;
  const std::string dir = c_.out_dir + "/maps/" + run_dir_ + "/" + check + "/" + std::to_string(stage);
  fs::create_directories(dir);
  write_checked_npy(dir + "/" + m.file + ".npy", kept);
}

Tensor CheckContext::grid_part(const Tensor& maps) const {
  if (grid_count_ == 0 || !maps.defined()) return {};
  return maps.size(0) == grid_count_ ? maps : maps.narrow(0, 0, grid_count_);
}

void CheckContext::status(const std::string& s) const {
  if (bar_) bar_->set_status(s);
}

}  // namespace sanity
