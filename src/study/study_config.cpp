#include "study/study_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "core/json.h"
#include "core/runtime.h"
#include "data/sources.h"

namespace sanity {
namespace {

// Reads fields of one JSON object, naming the file and the field path in every error.
class Fields {
 public:
  Fields(const nlohmann::json& j, std::string origin, std::string path) : j_(j), origin_(std::move(origin)), path_(std::move(path)) {
    if (!j_.is_object()) fail(path_.empty() ? "the file" : path_, "expected a JSON object");
  }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw InputError(origin_ + ": field '" + field + "': " + what);
  }
  std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool given(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }
  bool has(const std::string& key) {
    seen_.insert(key);
    return j_.contains(key) && !j_[key].is_null();
  }
  const nlohmann::json& at(const std::string& key) const { return j_.at(key); }

  // The field as T, type-checked first: 4.7 is not an integer and -1 not an unsigned one (nlohmann
  // would convert both silently).
  template <class T>
  void get(const std::string& key, T& out, const char* expected) {
    if (!has(key)) return;
    const nlohmann::json& v = j_.at(key);
    bool ok = true;
    if constexpr (std::is_same_v<T, bool>) ok = v.is_boolean();
    else if constexpr (std::is_unsigned_v<T>) ok = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
    else if constexpr (std::is_integral_v<T>) ok = v.is_number_integer();
    else if constexpr (std::is_floating_point_v<T>) ok = v.is_number();
    else if constexpr (std::is_same_v<T, std::string>) ok = v.is_string();
    try {
      if (ok) out = v.get<T>();
    } catch (const nlohmann::json::exception&) {
      ok = false;
    }
    if (!ok) fail(where(key), std::string("expected ") + expected + ", got " + v.dump());
  }
  void strings(const std::string& key, std::vector<std::string>& out) {
    if (!has(key)) return;
    const auto& v = j_.at(key);
    if (!v.is_array()) fail(where(key), "expected an array of strings");
    out.clear();
    for (const auto& s : v) {
      if (!s.is_string()) fail(where(key), "expected an array of strings, got " + s.dump());
      out.push_back(s.get<std::string>());
    }
  }
  // Every key of the object must have been asked for: a typo is an error, not a silent default.
  void no_others() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!seen_.count(it.key())) fail(where(it.key()), "unknown field");
  }

 private:
  const nlohmann::json& j_;
  std::string origin_, path_;
  std::set<std::string> seen_;
};

TrainOptions train_options(const nlohmann::json& j, TrainOptions t, const std::string& origin, const std::string& path) {
  train_settings().apply(j, t, config_field(origin, path));
  return t;
}

bool is_file_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+' || c == '.';
  });
}

StudyModel parse_model(const nlohmann::json& j, const std::string& origin, const std::string& path) {
  Fields f(j, origin, path);
  StudyModel m;
  f.get("name", m.name, "a string");
  f.get("builtin", m.builtin, "cnn, mlp or vit");
  f.get("dataset", m.dataset, "mnist or fashion-mnist");
  f.get("onnx", m.onnx, "a path to an .onnx file");
  f.get("permuted_onnx", m.permuted_onnx, "a path to an .onnx file");
  f.get("reference_onnx", m.reference_onnx, "a path to an .onnx file");
  f.get("permuted", m.permuted, "true or false");
  f.get("layers", m.layers, "blocks, or comma-separated layer group names");
  const nlohmann::json no_overrides = nlohmann::json::object();
  const nlohmann::json& train = f.has("train") ? f.at("train") : no_overrides;
  const nlohmann::json& permuted_train = f.has("permuted_train") ? f.at("permuted_train") : no_overrides;
  f.get("data", m.data.spec, "a dataset name, an image folder or an .npy file");
  f.get("labels", m.data.labels, "a labels file");
  if (f.has("preprocess")) {
    Fields p(f.at("preprocess"), origin, f.where("preprocess"));
    p.get("resize", m.data.preprocess.resize, "an integer");
    p.get("crop", m.data.preprocess.crop, "an integer");
    p.get("channels", m.data.preprocess.channels, "1 or 3");
    p.get("mean", m.data.preprocess.mean, "an array of numbers");
    p.get("std", m.data.preprocess.std, "an array of numbers");
    p.no_others();
    const size_t channels = static_cast<size_t>(std::max<int64_t>(m.data.preprocess.channels, 1));
    if (!p.given("mean")) m.data.preprocess.mean.assign(channels, 0.0);
    if (!p.given("std")) m.data.preprocess.std.assign(channels, 1.0);
  }
  f.no_others();

  if (m.builtin.empty() == m.onnx.empty()) f.fail(path, "give either builtin (with dataset) or onnx (with data)");
  if (!m.builtin.empty()) {
    if (m.builtin != "cnn" && m.builtin != "mlp" && m.builtin != "vit")
      f.fail(f.where("builtin"), "expected cnn, mlp or vit, got " + m.builtin);
    if (m.dataset.empty()) m.dataset = "mnist";
    if (!is_builtin_dataset(m.dataset)) f.fail(f.where("dataset"), "expected mnist or fashion-mnist, got " + m.dataset);
    if (m.data.spec.empty()) m.data.spec = m.dataset;
    if (m.name.empty()) m.name = m.dataset + "-" + m.builtin;
    m.train = train_options(train, recommended_train_options(m.builtin, m.dataset, false), origin, f.where("train"));
    TrainOptions permuted_recipe = recommended_train_options(m.builtin, m.dataset, true);
    permuted_recipe.subset = 10000;  // the engine issue's memorization test: 10,000 images
    m.permuted_train = train_options(permuted_train, permuted_recipe, origin, f.where("permuted_train"));
    m.permuted_train.permute_labels = true;
    if (!m.reference_onnx.empty())
      f.fail(f.where("reference_onnx"), "applies to onnx models; a built-in with permuted: true trains its reference");
  } else {
    if (!train.empty() || !permuted_train.empty()) f.fail(path, "train options apply to built-in models only");
    if (m.permuted) f.fail(f.where("permuted"), "only built-in models are trained here; give permuted_onnx");
    if (m.data.spec.empty()) f.fail(f.where("data"), "an onnx model needs its test data");
    if (m.name.empty()) m.name = std::filesystem::path(m.onnx).stem().string();
  }
  // The name names files inside the study (models/<name>.onnx): nothing that could climb out of it.
  if (!is_file_name(m.name))
    f.fail(f.has("name") ? f.where("name") : path,
           "expected a name of letters, digits, '-', '_', '+' and '.' that does not start with '.' (it names the "
           "model's files in the study), got '" + m.name + "'");
  return m;
}

}  // namespace

nlohmann::json default_study_json() {
  return {
      {"out", "runs/study"},
      {"testbed", {{"count", 200}, {"seed", 0}, {"balanced", false}, {"split", "test"}}},
      {"models",
       // Under 30 minutes on 2 cores: the permuted-label CNN memorizes 6,000 images in batches of 128
       // (sanity train's recipe: 10,000 in batches of 256, ~2x the time), the MLP trains 2 epochs, not 3.
       // Both have their data-randomization pair (Adebayo et al. 2018, Fig. 5: CNN and MLP), each
       // permuted-label model compared with a true-label one trained on its 6,000 images.
       {{{"name", "mnist-cnn"}, {"builtin", "cnn"}, {"dataset", "mnist"}, {"permuted", true},
         {"permuted_train", {{"subset", 6000}, {"batch_size", 128}}}},
        {{"name", "mnist-mlp"}, {"builtin", "mlp"}, {"dataset", "mnist"}, {"train", {{"epochs", 2}}}, {"permuted", true},
         {"permuted_train", {{"subset", 6000}, {"batch_size", 128}}}}}},
      {"methods",
       {"gradient", "gradient_x_input", "integrated_gradients", "smoothgrad(gradient)", "vargrad(gradient)",
        "guided_backprop", "deconvnet", "gradcam", "guided_gradcam", "deeplift", "rectgrad", "lrp_epsilon_plus_flat",
        "lrp_zplus", "lrp_alpha1beta0", "lrp_alpha2beta1", "deep_taylor", "excitation_backprop",
        // Patterns are refitted for every randomized model (they belong to its weights): 1000 training
        // images instead of 5000 keep that affordable in the default study.
        "pattern_attribution(fit_count=1000)", "sobel", "noise", "constant"}},
      {"checks", {"cascading", "independent", "data", "csc", "pixel_flipping"}},
      {"metrics", "spearman_abs, spearman, ssim, hog"},
      {"reinit", {{"distribution", "original"}, {"include_bias", true}, {"reset_batchnorm_stats", false},
                  {"per_image", false}, {"seed", 0}}},
      {"faithfulness", FaithfulnessOptions{}.to_json()},
      {"verdicts", VerdictRule{}.to_json()},
      {"target", "predicted"},
      {"batch_size", 256},
      {"grid_images", 4},
      {"report", true}};
}

StudyConfig parse_study_config(const nlohmann::json& given, const std::string& origin) {
  nlohmann::json j = default_study_json();
  if (!given.is_object()) throw InputError(origin + ": expected a JSON object at the top level");
  j.merge_patch(given);  // objects merge field by field; arrays (models, methods) replace the default's
  Fields f(j, origin, "");
  StudyConfig c;
  f.get("out", c.out, "a directory path");
  if (f.has("testbed")) {
    Fields t(j["testbed"], origin, "testbed");
    t.get("count", c.testbed.count, "an integer");
    if (c.testbed.count < 0) t.fail("testbed.count", "expected 0 (every image) or more, got " + std::to_string(c.testbed.count));
    t.get("seed", c.testbed.seed, "a non-negative integer");
    t.get("balanced", c.testbed.balanced, "true or false");
    t.get("split", c.split, "train or test");
    if (c.split != "train" && c.split != "test") t.fail("testbed.split", "expected train or test, got '" + c.split + "'");
    t.no_others();
  }
  if (f.has("models")) {
    const auto& ms = f.at("models");
    if (!ms.is_array() || ms.empty()) f.fail("models", "expected a non-empty array of models");
    for (size_t i = 0; i < ms.size(); ++i) c.models.push_back(parse_model(ms[i], origin, "models[" + std::to_string(i) + "]"));
  }
  f.strings("methods", c.methods);
  f.strings("checks", c.checks);
  f.get("metrics", c.metrics, "a comma-separated list of metric specs");
  if (f.has("reinit")) {
    Fields r(j["reinit"], origin, "reinit");
    std::string dist = to_string(c.reinit.distribution);
    r.get("distribution", dist, "original, default or permute");
    try {
      c.reinit.distribution = parse_reinit_distribution(dist);
    } catch (const InputError& e) {
      r.fail("reinit.distribution", e.what());
    }
    r.get("include_bias", c.reinit.include_bias, "true or false");
    r.get("reset_batchnorm_stats", c.reinit.reset_batchnorm_stats, "true or false");
    r.get("per_image", c.reinit.per_image, "true or false");
    r.get("seed", c.reinit.seed, "a non-negative integer");
    r.no_others();
  }
  if (f.has("faithfulness")) faithfulness_settings().apply(j["faithfulness"], c.faithfulness, config_field(origin, "faithfulness"));
  if (f.has("verdicts")) c.verdicts = VerdictRule::from_json(j["verdicts"], origin);
  f.get("target", c.target, "predicted, trained or true");
  f.get("batch_size", c.batch_size, "an integer");
  f.get("grid_images", c.grid_images, "an integer");
  f.get("report", c.report, "true or false");
  f.get("device", c.device, "cpu, cuda, cuda:N or auto");
  parse_device(c.device, origin + ": field 'device' (" + c.device + ")");
  f.get("precision", c.precision, "float32, tf32 or bf16");
  if (c.precision != "float32" && c.precision != "tf32" && c.precision != "bf16")
    f.fail("precision", "expected float32, tf32 or bf16, got '" + c.precision + "'");
  f.no_others();
  std::set<std::string> names;
  for (const auto& m : c.models)
    if (!names.insert(m.name).second) f.fail("models", "two models are named '" + m.name + "'");
  if (c.methods.empty()) f.fail("methods", "give at least one method");
  if (c.batch_size < 1) f.fail("batch_size", "expected at least 1");
  return c;
}

StudyConfig load_study_config(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": is a folder; expected a study configuration (JSON)");
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the study configuration");
  return parse_study_config(parse_json_strict(in, path), path);
}

nlohmann::json StudyConfig::to_json() const {
  nlohmann::json j;
  j["out"] = out;
  j["testbed"] = {{"count", testbed.count}, {"seed", testbed.seed}, {"balanced", testbed.balanced}, {"split", split}};
  for (const auto& m : models) {
    nlohmann::json jm{{"name", m.name}};
    if (!m.layers.empty()) jm["layers"] = m.layers;
    if (!m.builtin.empty()) {
      jm["builtin"] = m.builtin;
      jm["dataset"] = m.dataset;
      jm["train"] = train_settings().to_json(m.train);
      jm["permuted"] = m.permuted;
      if (m.permuted) jm["permuted_train"] = train_settings().to_json(m.permuted_train);
    } else {
      jm["onnx"] = m.onnx;
      jm["permuted_onnx"] = m.permuted_onnx;
      jm["reference_onnx"] = m.reference_onnx;
      jm["data"] = m.data.spec;
      jm["labels"] = m.data.labels;
      jm["preprocess"] = {{"resize", m.data.preprocess.resize}, {"crop", m.data.preprocess.crop},
                          {"channels", m.data.preprocess.channels}, {"mean", m.data.preprocess.mean},
                          {"std", m.data.preprocess.std}};
    }
    j["models"].push_back(jm);
  }
  j["methods"] = methods;
  j["checks"] = checks;
  j["metrics"] = metrics;
  j["reinit"] = {{"distribution", to_string(reinit.distribution)}, {"include_bias", reinit.include_bias},
                 {"reset_batchnorm_stats", reinit.reset_batchnorm_stats}, {"per_image", reinit.per_image},
                 {"seed", reinit.seed}};
  j["faithfulness"] = faithfulness.to_json();
  j["verdicts"] = verdicts.to_json();
  j["target"] = target;
  j["batch_size"] = batch_size;
  j["grid_images"] = grid_images;
  j["report"] = report;
  j["device"] = device;
  j["precision"] = precision;
  return j;
}

}  // namespace sanity
