// sanity evaluate: run a model on data; prints accuracy when labels are known, writes predictions.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/runtime.h"
#include "models/model_io.h"
#include "models/train.h"

namespace sanity::cli {
namespace {

struct EvaluateArgs {
  CommonOptions common;
  DataArgs data;
  std::string model, out;
  int64_t batch_size = 256;
};

int run_evaluate(EvaluateArgs& a) {
  apply_common_options(a.common);
  if (a.batch_size < 1) throw InputError("--batch-size " + std::to_string(a.batch_size) + ": expected at least 1");
  const DataOptions data_options = finish_data_options(a.data, a.common);
  Graph g = load_model(a.model, data_options.testbed.seed);
  const LoadedData loaded = load_data(data_options);
  const Dataset& d = loaded.data;
  g.check_input(d.images, data_options.spec);
  g.to(parse_device(a.common.device));

  const Tensor outputs = predict_logits(g, d.images, a.batch_size);  // the model's output (logits or softmax)
  require_finite_outputs(outputs, "--data " + data_options.spec);
  require_labels_in_range(d.labels, outputs.size(1), "--data " + data_options.spec);
  const Tensor predicted = outputs.argmax(1);
  const Tensor labelled = d.labels >= 0;
  const int64_t n_labelled = labelled.sum().item<int64_t>();
  const double acc = n_labelled > 0
                         ? predicted.eq(d.labels).logical_and(labelled).sum().item<double>() / double(n_labelled)
                         : -1.0;
  std::printf("%s on %s: %lld images", a.model.c_str(), d.name.c_str(), (long long)d.size());
  if (n_labelled > 0) std::printf(", accuracy %.2f%% (%lld labelled)\n", 100 * acc, (long long)n_labelled);
  else std::printf(", no labels (give --labels for accuracy)\n");

  if (!a.out.empty()) {
    nlohmann::json j;
    j["model"] = a.model;
    j["data"] = d.name;
    j["count"] = d.size();
    j["accuracy"] = n_labelled > 0 ? nlohmann::json(acc) : nlohmann::json(nullptr);
    j["labelled"] = n_labelled;
    j["class_names"] = d.class_names;
    const Tensor top = std::get<0>(outputs.max(1)).contiguous();
    auto ids = loaded.ids.accessor<int64_t, 1>();
    auto lab = d.labels.accessor<int64_t, 1>();
    auto pred = predicted.accessor<int64_t, 1>();
    auto score = top.accessor<float, 1>();
    j["predictions"] = nlohmann::json::array();
    for (int64_t i = 0; i < d.size(); ++i) {
      nlohmann::json p{{"id", ids[i]}, {"predicted", pred[i]}, {"score", score[i]}};
      p["label"] = lab[i] >= 0 ? nlohmann::json(lab[i]) : nlohmann::json(nullptr);
      j["predictions"].push_back(p);
    }
    if (const auto parent = std::filesystem::path(a.out).parent_path(); !parent.empty())
      std::filesystem::create_directories(parent);
    std::ofstream f(a.out);
    if (!f) throw InputError("--out " + a.out + ": cannot write file");
    f << j.dump(1) << "\n";
  }
  return 0;
}

}  // namespace

Command make_evaluate_command() {
  auto args = std::make_shared<EvaluateArgs>();
  Command c;
  c.add = [args](CLI::App& app) {
    auto* s = app.add_subcommand("evaluate", "Run a model on data: accuracy when labels are known, predictions as JSON");
    s->add_option("--model", args->model, "an .onnx file, or cnn / mlp / vit (untrained, seeded by --seed)")->required();
    add_data_options(s, args->data, /*default_count=*/0);
    s->add_option("--batch-size", args->batch_size, "images per forward pass")->capture_default_str();
    s->add_option("--out", args->out, "write predictions (id, label, predicted class and its output score) as JSON");
    add_common_options(s, args->common);
    return s;
  };
  c.execute = [args] { return run_evaluate(*args); };
  return c;
}

}  // namespace sanity::cli
