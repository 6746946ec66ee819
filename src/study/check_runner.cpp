#include "study/check_runner.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "attribution/registry.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "data/npy.h"
#include "data/sources.h"
#include "faithfulness/record.h"
#include "metrics/registry.h"
#include "models/fingerprint.h"
#include "models/model_io.h"
#include "models/train.h"
#include "randomization/stages.h"
#include "results/store.h"
#include "study/activation_scale.h"
#include "study/csc_check.h"
#include "study/explain_batch.h"
#include "study/mprt.h"

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

struct PreparedMethod {
  MethodPtr method;
  std::string spec, file;
};

class Runner {
 public:
  explicit Runner(const CheckConfig& c) : c_(c), store_((fs::create_directories(c.out_dir), c.out_dir + "/results.sqlite")) {}

  CheckSummary run() {
    const auto start = std::chrono::steady_clock::now();
    c_.validate();
    for (const auto& m : c_.methods) {
      PreparedMethod p;
      p.method = MethodRegistry::instance().make(m);
      p.spec = p.method->spec().str();
      p.file = method_file_name(p.spec);
      methods_.push_back(p);
    }
    metrics_ = MetricRegistry::instance().make_list(c_.metrics);
    random_logit_metric_ = MetricRegistry::instance().make(c_.random_logit_metric);
    smprt_metric_ = MetricRegistry::instance().make(c_.smprt_metric);

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
    prepare_grid();
    int64_t total = 0;
    for (const auto& check : c_.checks)
      total += static_cast<int64_t>((check == "csc" ? 1 : stages_of(check).size()) * methods_.size());
    Progress bar("check " + c_.model, total, c_.progress);
    bar_ = &bar;
    for (const auto& check : c_.checks) check == "csc" ? run_csc() : run_check(check);
    bar.finish(std::to_string(summary_.units_done) + " units computed, " + std::to_string(summary_.units_skipped) +
               " reused");
    summary_.run_id = run_;
    summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary_;
  }

 private:
  // A method the model cannot support (GradCAM without a conv layer) is left out with a message
  // rather than failing the study: tried on one image of the trained model.
  void drop_unsupported_methods() {
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

  // ---- stages ----------------------------------------------------------------------------------
  std::vector<Stage> stages_of(const std::string& check) const {
    if (check == "cascading" || check == "independent" || check == "bottom_up")
      return plan_stages(groups_, parse_randomization_order(check));
    if (check == "smprt") return plan_stages(groups_, RandomizationOrder::BottomUp);
    if (check == "data") return {{0, "original", {}}, {1, "permuted labels", {}}};
    if (check == "random_logit") return {{0, "random class", {}}};
    if (check == kFaithfulnessCheck) return {{-1, "faithfulness " + c_.faithfulness.to_json().dump(), {}}};
    // emprt: the trained model against the fully randomized one.
    Stage all{1, "all layers", {}};
    for (const auto& g : groups_) all.randomized.insert(all.randomized.end(), g.nodes.begin(), g.nodes.end());
    return {all};
  }

  Graph model_for(const std::string& check, const Stage& stage) {
    if (check == "data" && stage.index == 1) {
      Graph p = load_model(c_.permuted_model);
      p.check_input(data_.images.narrow(0, 0, 1), c_.permuted_model);
      return p;
    }
    if (stage.randomized.empty()) return trained_.clone();
    return stage_model(trained_, stage, c_.reinit);
  }

  Tensor targets_for(const Graph& model) {
    if (c_.target == "true") return data_.labels;
    if (c_.target == "trained" && targets0_.defined()) return targets0_;
    return predict_logits(model, data_.images, c_.batch_size).argmax(1);
  }

  ExplainOptions explain_options() const {
    ExplainOptions o{c_.batch_size, c_.data.testbed.seed};
    if (fit_.size() > 0) o.fit_data = &fit_;
    o.cache_dir = cache_dir_;
    return o;
  }

  // ---- explanations ----------------------------------------------------------------------------
  Tensor explain(const PreparedMethod& m, const Graph& model, const Tensor& targets, const Stage& stage,
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
      Graph g = stage_model(trained_, stage, r);
      parts.push_back(explain_all(*m.method, g, data_.images.narrow(0, i, 1), targets.narrow(0, i, 1),
                                  ids_.narrow(0, i, 1), o));
    }
    return torch::cat(parts, 0);
  }

  // The trained model's explanations, cached on disk so a resumed run compares against the same maps.
  Tensor original(const PreparedMethod& m) {
    auto it = originals_.find(m.spec);
    if (it != originals_.end()) return it->second;
    const std::string path = c_.out_dir + "/cache/" + run_dir_ + "/original/" + m.file + ".npy";
    Tensor e;
    if (fs::exists(path)) {
      e = read_npy(path);
    } else {
      fs::create_directories(fs::path(path).parent_path());
      bar_set("original explanations: " + m.spec);
      e = explain_all(*m.method, trained_, data_.images, targets0_, ids_, explain_options());
      write_npy(path, e);
    }
    originals_[m.spec] = e;
    return e;
  }

  // ---- checks ----------------------------------------------------------------------------------
  void run_check(const std::string& check) {
    const std::vector<Stage> stages = stages_of(check);
    for (const auto& s : stages) store_.label_stage(run_, check, s.index, s.name);
    for (const auto& stage : stages) {
      const bool per_stage_unit = check != "random_logit" && check != kFaithfulnessCheck;
      WorkUnit stage_unit{run_, check, stage.index, ""};
      std::vector<const PreparedMethod*> todo;
      for (const auto& m : methods_) {
        if (store_.is_done({run_, check, stage.index, m.spec})) {
          ++summary_.units_skipped;
          bar_->advance(1);
        } else {
          todo.push_back(&m);
        }
      }
      const bool stage_todo = per_stage_unit && !store_.is_done(stage_unit);
      if (todo.empty() && !stage_todo) continue;
      bar_set(check + " stage " + std::to_string(stage.index) + " (" + stage.name + ")");
      Graph model = model_for(check, stage);
      if (stage_todo) record_stage_quantities(check, stage, model);
      const Tensor targets = check == "random_logit" ? random_other_classes() : targets_for(model);
      for (const PreparedMethod* m : todo) {
        bar_set(check + " stage " + std::to_string(stage.index) + " (" + stage.name + ") " + m->spec);
        record_method(check, stage, *m, model, targets);
        ++summary_.units_done;
        bar_->advance(1);
      }
    }
  }

  // CSC of every method that is one backward sweep, on the trained model; others are skipped (CSC
  // is defined for a backward chain, not for IG, SmoothGrad, GradCAM or the baselines).
  void run_csc() {
    for (const auto& m : methods_) {
      bar_->advance(1);
      BackpropMethodPtr sweep;
      try {
        sweep = csc_method(parse_method_spec(m.spec));
      } catch (const UnsupportedError&) {
        continue;
      }
      if (store_.is_done({run_, "csc", 0, m.spec})) {
        ++summary_.units_skipped;
        continue;
      }
      bar_set("csc " + m.spec);
      CscOptions o;
      o.samples = c_.csc_samples;
      o.seed = c_.data.testbed.seed;
      AttributionContext ctx{trained_, o.images_per_batch * o.samples, o.seed, ids_};
      if (fit_.size() > 0) ctx.fit_data = &fit_;
      ctx.cache_dir = cache_dir_;
      const CscResult r = cosine_similarity_convergence(ctx, *sweep, data_.images.to(trained_.device()), o);
      auto units = csc_units(r);
      for (const auto& u : units) store_.label_stage(run_, "csc", u.stage, u.layer);
      // Deepest first, so a unit at depth 0 marks the method complete only once all are stored.
      for (auto it = units.rbegin(); it != units.rend(); ++it) store_.record_unit({run_, "csc", it->stage, m.spec}, it->rows);
      if (units.empty() || units.front().stage != 0) store_.record_unit({run_, "csc", 0, m.spec}, {});
      ++summary_.units_done;
    }
  }

  void record_stage_quantities(const std::string& check, const Stage& stage, const Graph& model) {
    std::vector<Measurement> rows;
    if (accuracy_images_.defined() || has_labels_) {
      if (!accuracy_images_.defined()) load_accuracy_data();
      rows.push_back({"accuracy", accuracy(model, accuracy_images_, accuracy_labels_, c_.batch_size)});
    }
    if (check == "cascading" && !stage.randomized.empty()) {
      const int64_t n = std::min<int64_t>(c_.activation_images, data_.size());
      for (const auto& s : activation_scale(trained_, model, data_.images.narrow(0, 0, n))) {
        rows.push_back({"activation_norm_ratio", s.norm_ratio, -1, -1, s.layer});
        rows.push_back({"activation_rank_corr", s.rank_corr, -1, -1, s.layer});
      }
    }
    store_.record_unit({run_, check, stage.index, ""}, rows);
  }

  // Accuracy on the full test split for built-in datasets (200 images are too few to see chance
  // level clearly), else on the labelled test bed.
  void load_accuracy_data() {
    if (is_builtin_dataset(c_.data.spec)) {
      Dataset full = load_builtin_dataset(c_.data.spec, c_.data.split, c_.data.data_dir);
      accuracy_images_ = full.images;
      accuracy_labels_ = full.labels;
    } else {
      accuracy_images_ = data_.images;
      accuracy_labels_ = data_.labels;
    }
  }

  Tensor random_other_classes() {
    const int64_t classes = predict_logits(trained_, data_.images.narrow(0, 0, 1)).size(1);
    Tensor out = targets0_.clone();
    for (int64_t i = 0; i < out.size(0); ++i) {
      at::Generator g = make_generator(derive_seed(c_.data.testbed.seed, "random_logit", ids_[i].item<int64_t>()));
      const int64_t r = torch::randint(classes - 1, {1}, g).item<int64_t>();
      const int64_t t = targets0_[i].item<int64_t>();
      out[i] = r >= t ? r + 1 : r;  // uniform over the other classes
    }
    return out;
  }

  void record_method(const std::string& check, const Stage& stage, const PreparedMethod& m, const Graph& model,
                     const Tensor& targets) {
    if (check == kFaithfulnessCheck) return record_faithfulness_unit(m);
    std::vector<Measurement> rows;
    Tensor e;
    if (check == "smprt") {
      const Tensor base = smoothed(m, trained_, targets0_, "smprt_original");
      e = stage.index == 0 ? base : smoothed(m, model, targets, "smprt");
      add_rows(rows, *smprt_metric_, base, e);
    } else if (check == "emprt") {
      e = explain(m, model, targets, stage, check);
      const Tensor score = emprt_scores(original(m), e);
      for (int64_t i = 0; i < score.size(0); ++i)
        rows.push_back({"emprt", score[i].item<double>(), ids_[i].item<int64_t>()});
    } else if (check == "random_logit") {
      e = explain(m, model, targets, stage, check);
      add_rows(rows, *random_logit_metric_, original(m), e);
    } else {
      const Tensor e0 = original(m);
      e = stage.index == 0 ? e0 : explain(m, model, targets, stage, check);
      for (const auto& metric : metrics_) add_rows(rows, *metric, e0, e);
    }
    save_grid_maps(check, stage.index, m, e);
    store_.record_unit({run_, check, stage.index, m.spec}, rows);
  }

  // pixel_flipping: the faithfulness measures of the trained model's maps (cached like every check's
  // originals), for the trained model's targets; one unit per method.
  void record_faithfulness_unit(const PreparedMethod& m) {
    const FaithfulnessResult r = evaluate_faithfulness(trained_, data_.images, original(m), m.method->map_kind(),
                                                       targets0_, ids_, c_.faithfulness, c_.batch_size,
                                                       c_.data.testbed.seed);
    record_faithfulness(store_, run_, m.spec, r, ids_);
  }

  Tensor smoothed(const PreparedMethod& m, const Graph& model, const Tensor& targets, const std::string& purpose) {
    if (purpose == "smprt_original") {
      auto it = smprt_originals_.find(m.spec);
      if (it != smprt_originals_.end()) return it->second;
    }
    SmoothingOptions s{c_.smprt_samples, c_.smprt_sigma, c_.batch_size, c_.data.testbed.seed};
    Tensor e = smprt_explanations(*m.method, model, data_.images, targets, ids_, s);
    if (purpose == "smprt_original") smprt_originals_[m.spec] = e;
    return e;
  }

  void add_rows(std::vector<Measurement>& rows, const Metric& metric, const Tensor& a, const Tensor& b) {
    const std::string name = metric.spec_for(a.sizes()).str();
    const Tensor scores = metric.compare(a, b);
    for (int64_t i = 0; i < scores.size(0); ++i) rows.push_back({name, scores[i].item<double>(), ids_[i].item<int64_t>()});
  }

  // ---- saliency grid -----------------------------------------------------------------------------
  void prepare_grid() {
    grid_count_ = std::min<int64_t>(c_.grid_images, data_.size());
    const std::string dir = c_.out_dir + "/maps/" + run_dir_;
    fs::create_directories(dir);
    write_npy(dir + "/images.npy", data_.images.narrow(0, 0, grid_count_));
    nlohmann::json index;
    index["image_file"] = "images.npy";
    index["images"] = std::vector<int64_t>(ids_.data_ptr<int64_t>(), ids_.data_ptr<int64_t>() + grid_count_);
    for (const auto& m : methods_) index["methods"].push_back({{"spec", m.spec}, {"file", m.file}});
    for (const auto& check : c_.checks) {
      if (check == "csc" || check == kFaithfulnessCheck) continue;  // no maps per stage
      for (const auto& s : stages_of(check)) index["checks"][check].push_back({{"stage", s.index}, {"label", s.name}});
    }
    write_json(dir + "/index.json", index);
  }

  void save_grid_maps(const std::string& check, int64_t stage, const PreparedMethod& m, const Tensor& e) {
    if (grid_count_ == 0) return;
    const std::string dir = c_.out_dir + "/maps/" + run_dir_ + "/" + check + "/" + std::to_string(stage);
    fs::create_directories(dir);
    write_npy(dir + "/" + m.file + ".npy", e.narrow(0, 0, grid_count_));
  }

  static void write_json(const std::string& path, const nlohmann::json& j) {
    fs::create_directories(fs::path(path).parent_path());
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << j.dump(2) << "\n";
    fs::rename(tmp, path);
  }

  void bar_set(const std::string& s) {
    if (bar_) bar_->set_status(s);
  }

  CheckConfig c_;
  ResultsStore store_;
  std::vector<PreparedMethod> methods_;
  std::vector<MetricPtr> metrics_;
  MetricPtr random_logit_metric_, smprt_metric_;
  Graph trained_;
  Dataset data_, fit_;
  // Maps by method and model (weights fingerprint and targets): independent randomization's first
  // stage, the logits alone, is cascading's first stage (same layer, same seed), so it is not redone.
  static constexpr size_t kStageMapBytes = size_t{1} << 30;
  std::map<std::pair<std::string, uint64_t>, Tensor> stage_maps_;
  size_t stage_map_bytes_ = 0;
  std::string cache_dir_;
  Tensor ids_, targets0_, accuracy_images_, accuracy_labels_;
  std::vector<LayerGroup> groups_;
  int64_t run_ = 0, grid_count_ = 0;
  std::string run_dir_;
  bool has_labels_ = false;
  std::map<std::string, Tensor> originals_, smprt_originals_;
  Progress* bar_ = nullptr;
  CheckSummary summary_;
};

}  // namespace

CheckSummary run_checks(const CheckConfig& config) { return Runner(config).run(); }

}  // namespace sanity
