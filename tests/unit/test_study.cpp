// The study: configuration parsing, the check runner end to end on a small CNN (what the papers'
// findings need structurally: baselines, stage labels, CSC units), resume after SIGKILL to the same
// database as an uninterrupted run, and same-seed determinism.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "data/npy.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "results/store.h"
#include "study/check_runner.h"
#include "study/study_config.h"
#include "check_fixture.h"
#include "test_util.h"

using namespace sanity;

namespace {

// Two CNNs and 12 digit-like inputs, written once.
using Fixture = test::CheckFixture;
const Fixture& fixture() {
  static const Fixture f = test::make_check_fixture("study", 12, 3);
  return f;
}

CheckConfig small_config(const std::string& out) {
  CheckConfig c;
  c.model = fixture().model;
  c.permuted_model = fixture().permuted;
  c.data.spec = fixture().images;
  c.data.testbed.count = 12;
  c.methods = {"gradient", "guided_backprop", "sobel", "noise", "lrp_zplus"};
  c.checks = {"cascading", "independent", "data", "csc"};
  c.metrics = "spearman_abs, ssim";
  c.out_dir = out;
  c.progress = false;
  c.batch_size = 5;  // several batches per method
  return c;
}

double mean_of(const std::vector<ResultRow>& rows) {
  double s = 0;
  for (const auto& r : rows) s += r.value;
  return rows.empty() ? std::nan("") : s / rows.size();
}

std::vector<ResultRow> select(const ResultsStore& store, const std::string& check, int64_t stage,
                              const std::string& method, const std::string& metric) {
  RowFilter f;
  f.check = check;
  f.stage = stage;
  f.method = method;
  f.metric = metric;
  return store.rows(f);
}

}  // namespace

TEST(StudyConfig, DefaultsReproduceThePapersMnistStudy) {
  const StudyConfig c = parse_study_config(nlohmann::json::object(), "default");
  ASSERT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.models[0].builtin, "cnn");
  EXPECT_TRUE(c.models[0].permuted);
  EXPECT_TRUE(c.models[0].permuted_train.permute_labels);
  EXPECT_EQ(c.models[0].permuted_train.subset, 6000);
  EXPECT_EQ(c.models[0].permuted_train.batch_size, 128);
  EXPECT_EQ(c.models[0].permuted_train.epochs, 30);  // the recipe's, not overridden
  EXPECT_EQ(c.models[1].builtin, "mlp");
  EXPECT_EQ(c.models[1].train.epochs, 2);
  EXPECT_EQ(c.testbed.count, 200);
  for (const char* m : {"gradient", "integrated_gradients", "smoothgrad(gradient)", "vargrad(gradient)",
                        "guided_backprop", "gradcam", "guided_gradcam", "lrp_epsilon_plus_flat", "pattern_attribution(fit_count=1000)",
                        "sobel", "noise"})
    EXPECT_NE(std::find(c.methods.begin(), c.methods.end(), m), c.methods.end()) << m;
  for (const char* k : {"cascading", "independent", "data", "csc", "pixel_flipping"})
    EXPECT_NE(std::find(c.checks.begin(), c.checks.end(), k), c.checks.end()) << k;
  // study.json round trip: the written config parses to the same config.
  EXPECT_EQ(parse_study_config(c.to_json(), "again").to_json(), c.to_json());
}

TEST(StudyConfig, OverridesMergeAndErrorsNameTheField) {
  const StudyConfig c = parse_study_config(
      nlohmann::json::parse(R"({"testbed": {"count": 50}, "models": [{"builtin": "mlp", "dataset": "fashion-mnist",
                                "train": {"epochs": 1}}], "methods": ["gradient"]})"),
      "my.json");
  EXPECT_EQ(c.testbed.count, 50);
  EXPECT_EQ(c.testbed.seed, 0u);
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].name, "fashion-mnist-mlp");
  EXPECT_EQ(c.models[0].train.epochs, 1);
  EXPECT_EQ(c.methods, std::vector<std::string>{"gradient"});
  EXPECT_EQ(c.faithfulness.to_json(), FaithfulnessOptions{}.to_json());
  const StudyConfig f = parse_study_config(
      nlohmann::json::parse(R"({"faithfulness": {"order": "signed", "pixel_flipping": {"patch": 7}}})"), "my.json");
  EXPECT_EQ(f.faithfulness.order, "signed");
  EXPECT_EQ(f.faithfulness.pixel_flipping.patch, 7);
  EXPECT_EQ(f.faithfulness.pixel_flipping.replacement, "uniform");  // the rest keeps its default
  EXPECT_EQ(parse_study_config(f.to_json(), "again").faithfulness.to_json(), f.faithfulness.to_json());
  auto parse = [](const char* text) { return parse_study_config(nlohmann::json::parse(text), "my.json"); };
  test::expect_input_error([&] { parse(R"({"testbd": {}})"); }, "my.json: field 'testbd': unknown field");
  test::expect_input_error([&] { parse(R"({"testbed": {"count": "many"}})"); }, "field 'testbed.count': expected an integer");
  test::expect_input_error([&] { parse(R"({"models": [{"builtin": "resnet"}]})"); }, "field 'models[0].builtin'");
  test::expect_input_error([&] { parse(R"({"models": [{"onnx": "m.onnx"}]})"); }, "field 'models[0].data'");
  test::expect_input_error([&] { parse(R"({"models": [{"builtin": "cnn", "train": {"epoch": 2}}]})"); },
                           "field 'models[0].train.epoch': unknown field");
  test::expect_input_error([&] { parse(R"({"reinit": {"distribution": "gaussian"}})"); }, "reinit.distribution");
  test::expect_input_error([&] { parse(R"({"faithfulness": {"order": "rank"}})"); },
                           "field 'faithfulness.order': expected auto, signed or absolute, got \"rank\"");
  test::expect_input_error([&] { parse(R"({"faithfulness": {"pixel_flipping": {"patches": 7}}})"); },
                           "field 'faithfulness.pixel_flipping.patches': unknown field");
  test::expect_input_error([] { load_study_config("/nonexistent/study.json"); }, "/nonexistent/study.json");
}

TEST(CheckRunner, BaselinesStageLabelsAndCsc) {
  const std::string out = test::temp_dir("study-runner");
  const CheckSummary s = run_checks(small_config(out));
  EXPECT_GT(s.units_done, 0);
  EXPECT_EQ(s.units_skipped, 0);
  ResultsStore store(out + "/results.sqlite", true);
  // Cascading on the CNN: original, fc2, fc1, conv2, conv1.
  for (int64_t stage = 0; stage <= 4; ++stage) {
    const auto sobel = select(store, "cascading", stage, "sobel", "spearman_abs");
    ASSERT_EQ(sobel.size(), 12u) << stage;
    for (const auto& r : sobel) EXPECT_DOUBLE_EQ(r.value, 1.0);  // ignores the model
  }
  // Stage 0 compares the trained model's maps with themselves; the gradient changes once layers are
  // re-drawn, and the noise baseline is a fresh draw per model: near zero.
  EXPECT_DOUBLE_EQ(mean_of(select(store, "cascading", 0, "gradient", "spearman_abs")), 1.0);
  EXPECT_LT(mean_of(select(store, "cascading", 4, "gradient", "spearman_abs")), 0.9);
  EXPECT_LT(std::abs(mean_of(select(store, "cascading", 4, "noise(distribution=normal)", "spearman_abs"))), 0.1);
  EXPECT_DOUBLE_EQ(mean_of(select(store, "cascading", 0, "noise(distribution=normal)", "spearman_abs")), 1.0);
  // The data check swaps in the other model; the maps change.
  EXPECT_LT(mean_of(select(store, "data", 1, "gradient", "spearman_abs")), 0.9);
  // Independent randomization: one stage per layer; stage labels name the layers.
  const auto runs = store.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(store.stage_label(runs[0].id, "cascading", 0).value_or(""), "original");
  EXPECT_EQ(store.stage_label(runs[0].id, "cascading", 1).value_or(""), "fc2");
  EXPECT_EQ(store.stage_label(runs[0].id, "cascading", 4).value_or(""), "conv1");
  EXPECT_FALSE(store.stage_label(runs[0].id, "cascading", 5).has_value());
  EXPECT_EQ(select(store, "independent", 4, "gradient", "spearman_abs").size(), 12u);
  // Independent stage 1 (fc2 alone) is cascading stage 1 (reused maps); stage 2 (fc1 alone) is not.
  const auto values = [&](const char* check, int64_t stage) {
    std::vector<double> v;
    for (const auto& r : select(store, check, stage, "gradient", "spearman_abs")) v.push_back(r.value);
    return v;
  };
  EXPECT_EQ(values("independent", 1), values("cascading", 1));
  EXPECT_NE(values("independent", 2), values("cascading", 2));
  // CSC: z+ converges at the lowest multi-channel layer (conv1's output), the gradient does not.
  RowFilter f;
  f.check = "csc";
  f.metric = "csc_median";
  double zplus = -1, grad = -1;
  for (const auto& r : store.rows(f)) {
    if (r.layer != "conv1") continue;
    if (r.method == "lrp_zplus") zplus = r.value;
    if (r.method == "gradient") grad = r.value;
  }
  EXPECT_GT(zplus, 0.9);
  EXPECT_LT(grad, zplus);
  // The saliency-grid files the report reads.
  const std::string maps = out + "/maps/" + std::to_string(runs[0].id);
  EXPECT_TRUE(std::filesystem::exists(maps + "/index.json"));
  EXPECT_EQ(read_npy(maps + "/cascading/4/gradient.npy").size(0), 4);
  // A rerun computes nothing.
  const CheckSummary again = run_checks(small_config(out));
  EXPECT_EQ(again.units_done, 0);
  EXPECT_EQ(again.units_skipped, s.units_done);
}

TEST(CheckRunner, MethodsAModelCannotSupportAreSkipped) {
  const std::string out = test::temp_dir("study-skip");
  CheckConfig c = small_config(out);
  c.model = "mlp";
  c.checks = {"cascading"};
  c.permuted_model.clear();  // the data check's alone
  c.methods = {"gradient", "gradcam"};  // the MLP has no conv layer
  run_checks(c);
  ResultsStore store(out + "/results.sqlite", true);
  for (const auto& r : store.rows()) EXPECT_EQ(r.method.rfind("gradcam", 0), std::string::npos) << r.method;
  EXPECT_FALSE(select(store, "cascading", 1, "gradient", "spearman_abs").empty());
}

TEST(CheckRunner, KilledRunResumesToTheSameDatabaseAsAnUninterruptedOne) {
  const Fixture& fx = fixture();
  const std::string args = "check --model " + fx.model + " --permuted-model " + fx.permuted + " --data " + fx.images +
                           " --count 12 --methods 'gradient,guided_backprop,smoothgrad(gradient),noise,lrp_zplus' "
                           "--checks cascading,independent,data,csc --metrics spearman_abs,ssim,hog "
                           "--batch-size 4 --threads 1 --quiet --out ";
  const std::string a = test::temp_dir("study-uninterrupted"), b = test::temp_dir("study-killed");
  ASSERT_EQ(test::run_cli(args + a).exit_code, 0);
  const auto total = ResultsStore(a + "/results.sqlite", true).done_units(1).size();
  ASSERT_GT(total, 20u);

  // Start the same study, SIGKILL it once about half its units are committed, then rerun it.
  const pid_t child = fork();
  if (child == 0) {
    const std::string cmd = std::string(SANITY_CLI) + " " + args + b + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), (char*)nullptr);
    _exit(127);
  }
  size_t done_at_kill = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    try {
      if (!std::filesystem::exists(b + "/results.sqlite")) continue;
      done_at_kill = ResultsStore(b + "/results.sqlite", true).done_units(1).size();
    } catch (const std::exception&) {
      continue;  // the database is being created
    }
    if (done_at_kill >= total / 2) break;
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the run ended before it was killed";
  const auto after_kill = ResultsStore(b + "/results.sqlite", true).done_units(1).size();
  EXPECT_GE(after_kill, total / 2);
  EXPECT_LT(after_kill, total);
  RecordProperty("units_at_kill", std::to_string(after_kill) + "/" + std::to_string(total));

  const auto rerun = test::run_cli(args + b);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_EQ(test::store_rows_text(b + "/results.sqlite"), test::store_rows_text(a + "/results.sqlite"));
}

TEST(SanityRun, TrainsChecksAndResumesFromAConfig) {
  const std::string dir = test::temp_dir("study-run");
  std::ofstream(dir + "/config.json") << R"({
    "out": ")" << dir << R"(/out",
    "testbed": {"count": 6},
    "models": [{"name": "tiny-mlp", "builtin": "mlp", "dataset": "mnist",
                "train": {"epochs": 1, "subset": 600, "validation": 100}},
               {"name": "pair", "builtin": "mlp", "dataset": "mnist", "train": {"epochs": 1, "subset": 600},
                "permuted": true, "permuted_train": {"epochs": 1, "subset": 300, "validation": 100}}],
    "methods": ["gradient", "sobel", "gradcam"],
    "checks": ["cascading", "data"],
    "metrics": "spearman_abs"
  })";
  const auto first = test::run_cli("run " + dir + "/config.json --threads 1 --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("tiny-mlp: no data check (--checks data: needs --permuted-model"), std::string::npos);
  EXPECT_NE(first.output.find("skipping gradcam"), std::string::npos) << first.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/models/tiny-mlp/model.onnx"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/report/report.html"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/report/figures/run1_similarity_cascading_spearman_abs.png"));
  const auto study = nlohmann::json::parse(std::ifstream(dir + "/out/study.json"));
  EXPECT_EQ(study["config"]["models"][0]["train"]["epochs"], 1);
  EXPECT_EQ(study["config"]["reinit"]["distribution"], "original");  // defaults written out
  ResultsStore store(dir + "/out/results.sqlite", true);
  // MLP: original + 4 layers, 2 methods (gradcam skipped), plus 5 accuracy units.
  EXPECT_EQ(store.done_units(1).size(), 5u * 2 + 5);
  // With a permuted-label copy the data check's true-label side is a reference trained on the same
  // 300 images with the same recipe, not the model trained on 600.
  const auto options = [&](const std::string& name) {
    return nlohmann::json::parse(std::ifstream(dir + "/out/models/" + name + "/metrics.json"))["options"];
  };
  EXPECT_EQ(options("pair-reference")["subset"], 300);
  EXPECT_EQ(options("pair-reference")["permute_labels"], false);
  EXPECT_EQ(options("pair-permuted")["subset"], 300);
  EXPECT_EQ(options("pair-permuted")["permute_labels"], true);
  EXPECT_EQ(store.stage_label(2, "data", 0).value_or(""), "true labels, same images");
  EXPECT_EQ(store.rows({2, std::string("data"), std::string("gradient"), std::string("spearman_abs"), 1}).size(), 6u);
  // The rerun reuses the model and every unit.
  const auto again = test::run_cli("run " + dir + "/config.json --threads 1 --quiet");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 work units computed"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("0 models trained, 4 reused"), std::string::npos) << again.output;
  // A typo in the config: one line naming the file and field, exit code 2.
  std::ofstream(dir + "/bad.json") << R"({"methods": ["gradient"], "chekcs": ["cascading"]})";
  const auto bad = test::run_cli("run " + dir + "/bad.json --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("bad.json: field 'chekcs': unknown field"), std::string::npos) << bad.output;
}
