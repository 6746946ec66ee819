#include "study/checks/context.h"

#include <filesystem>
#include <fstream>

#include "attribution/registry.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "data/npy.h"
#include "data/sources.h"
#include "metrics/registry.h"
#include "models/fingerprint.h"
#include "models/model_io.h"
#include "models/train.h"

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

std::string data_description(const DataOptions& d) {
  std::string s = d.spec;
  if (is_builtin_dataset(d.spec)) s += ":" + d.split;
  s += ":" + std::to_string(d.testbed.count) + ":seed" + std::to_string(d.testbed.seed);
  if (d.testbed.balanced) s += ":balanced";
  return s;
}

void write_json(const std::string& path, const nlohmann::json& j) {
  fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  fs::rename(tmp, path);
}

}  // namespace

CheckContext::CheckContext(const CheckConfig& config, ResultsStore& store) : c_(config), store_(store) {}

void CheckContext::prepare() {
  for (const auto& m : c_.methods) {
    PreparedMethod p;
    p.method = MethodRegistry::instance().make(m);
    p.spec = p.method->spec().str();
    p.file = method_file_name(p.spec);
    methods_.push_back(p);
  }
  metrics_ = MetricRegistry::instance().make_list(c_.metrics);
  trained_ = load_model(c_.model);
  LoadedData loaded = load_data(c_.data);
  data_ = loaded.data;
  ids_ = loaded.ids;
  trained_.check_input(data_.images, data_description(c_.data));
  groups_ = layer_groups(trained_, c_.layers);
  if (c_.fit_data == "auto" && is_builtin_dataset(c_.data.spec))
    fit_ = load_builtin_dataset(c_.data.spec, "train", c_.data.data_dir);
  if (fs::path(c_.model).extension() == ".onnx") cache_dir_ = fs::absolute(c_.model).parent_path().string();
  drop_unsupported_methods();
}

void CheckContext::open_run() {
  RunConfig rc;
  rc.model = c_.model + "#" + weights_fingerprint(trained_);
  rc.data = data_description(c_.data);
  rc.options = c_.identity();
  rc.seed = c_.data.testbed.seed;
  run_ = store_.open_run(rc);
  run_dir_ = std::to_string(run_);
  has_labels_ = data_.labels.defined() && (data_.labels >= 0).all().item<bool>();
  if (c_.target == "true" && !has_labels_) throw InputError("--target true: the data has no labels");
  write_json(c_.out_dir + "/maps/" + run_dir_ + "/config.json", c_.to_json());
  targets0_ = targets_for(trained_);
}

// A method the model cannot support (GradCAM without a conv layer) is left out with a message
// rather than failing the study: tried on one image of the trained model.
void CheckContext::drop_unsupported_methods() {
  std::vector<PreparedMethod> kept;
  const Tensor x = data_.images.narrow(0, 0, 1), target = predict_logits(trained_, x).argmax(1);
  ExplainOptions o = explain_options();
  o.batch_size = 1;
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
  if (fit_.size() > 0) o.fit_data = &fit_;
  o.cache_dir = cache_dir_;
  return o;
}

Graph CheckContext::stage_model(const Stage& s) const {
  return s.randomized.empty() ? trained_.clone() : sanity::stage_model(trained_, s, c_.reinit);
}

Tensor CheckContext::targets_for(const Graph& model) const {
  if (c_.target == "true") return data_.labels;
  if (c_.target == "trained" && targets0_.defined()) return targets0_;
  return predict_logits(model, data_.images, c_.batch_size).argmax(1);
}

Tensor CheckContext::original(const PreparedMethod& m) {
  auto it = originals_.find(m.spec);
  if (it != originals_.end()) return it->second;
  const std::string path = c_.out_dir + "/cache/" + run_dir_ + "/original/" + m.file + ".npy";
  Tensor e;
  if (fs::exists(path)) {
    e = read_npy(path);
  } else {
    fs::create_directories(fs::path(path).parent_path());
    status("original explanations: " + m.spec);
    e = explain_all(*m.method, trained_, data_.images, targets0_, ids_, explain_options());
    write_npy(path, e);
  }
  originals_[m.spec] = e;
  return e;
}

Tensor CheckContext::explain(const PreparedMethod& m, const Graph& model, const Tensor& targets, const Stage& stage,
                             const std::string& check) {
  const ExplainOptions o = explain_options();
  if (!c_.reinit.per_image || stage.randomized.empty()) {
    const std::pair<std::string, uint64_t> key{m.spec, fnv1a(model_fingerprint(model), targets)};
    if (auto it = stage_maps_.find(key); it != stage_maps_.end()) return it->second;
    Tensor e = explain_all(*m.method, model, data_.images, targets, ids_, o);
    if (stage_map_bytes_ + e.nbytes() <= kStageMapBytes) {
      stage_maps_[key] = e;
      stage_map_bytes_ += e.nbytes();
    }
    return e;
  }
  // A new randomization per image: the stage's layers re-drawn from a seed derived from the image id.
  Tensors parts;
  for (int64_t i = 0; i < data_.size(); ++i) {
    ReinitOptions r = c_.reinit;
    r.seed = derive_seed(c_.reinit.seed, "per_image:" + check, static_cast<uint64_t>(ids_[i].item<int64_t>()));
    Graph g = sanity::stage_model(trained_, stage, r);
    parts.push_back(explain_all(*m.method, g, data_.images.narrow(0, i, 1), targets.narrow(0, i, 1),
                                ids_.narrow(0, i, 1), o));
  }
  return torch::cat(parts, 0);
}

// Accuracy on the full test split for built-in datasets (200 images are too few to see chance
// level clearly), else on the labelled test bed.
std::optional<double> CheckContext::accuracy_of(const Graph& model) {
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
  return accuracy(model, accuracy_images_, accuracy_labels_, c_.batch_size);
}

void CheckContext::add_rows(std::vector<Measurement>& rows, const Metric& metric, const Tensor& a, const Tensor& b) const {
  const std::string name = metric.spec_for(a.sizes()).str();
  const Tensor scores = metric.compare(a, b);
  for (int64_t i = 0; i < scores.size(0); ++i) rows.push_back({name, scores[i].item<double>(), ids_[i].item<int64_t>()});
}

void CheckContext::prepare_grid(const std::vector<std::pair<std::string, std::vector<Stage>>>& staged_checks) {
  grid_count_ = std::min<int64_t>(c_.grid_images, data_.size());
  const std::string dir = c_.out_dir + "/maps/" + run_dir_;
  fs::create_directories(dir);
  write_npy(dir + "/images.npy", data_.images.narrow(0, 0, grid_count_));
  nlohmann::json index;
  index["image_file"] = "images.npy";
  index["images"] = std::vector<int64_t>(ids_.data_ptr<int64_t>(), ids_.data_ptr<int64_t>() + grid_count_);
  for (const auto& m : methods_) index["methods"].push_back({{"spec", m.spec}, {"file", m.file}});
  for (const auto& [check, stages] : staged_checks)
    for (const auto& s : stages) index["checks"][check].push_back({{"stage", s.index}, {"label", s.name}});
  write_json(dir + "/index.json", index);
}

void CheckContext::save_grid_maps(const std::string& check, int64_t stage, const PreparedMethod& m, const Tensor& e) const {
  if (grid_count_ == 0 || !e.defined()) return;
  const std::string dir = c_.out_dir + "/maps/" + run_dir_ + "/" + check + "/" + std::to_string(stage);
  fs::create_directories(dir);
  write_npy(dir + "/" + m.file + ".npy", e.narrow(0, 0, grid_count_));
}

void CheckContext::status(const std::string& s) const {
  if (bar_) bar_->set_status(s);
}

void CheckContext::advance() const {
  if (bar_) bar_->advance(1);
}

}  // namespace sanity
