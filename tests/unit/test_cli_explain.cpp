// `sanity explain`: files written per method (.npy equal to the library's maps, PNGs, explain.json),
// data sources, targets, and one-line errors for bad input.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

#include "attribution/explain_batch.h"
#include "attribution/registry.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;

namespace {

// Three deterministic MNIST-shaped inputs saved as .npy.
std::string write_inputs(const std::string& dir, int64_t channels = 1) {
  torch::manual_seed(9);
  const std::string p = dir + "/inputs.npy";
  write_npy(p, torch::rand({3, channels, 28, 28}));
  return p;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST(CliExplain, WritesOneArrayPerMethodEqualToTheLibrarys) {
  const std::string dir = test::temp_dir("explain");
  const std::string inputs = write_inputs(dir);
  const auto r = test::run_cli("explain --builtin cnn --data " + inputs +
                               " --methods 'gradient,smoothgrad(guided_backprop, n=4),integrated_gradients(steps=8)'"
                               " --target 3 --batch-size 5 --quiet --out " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const nlohmann::json j = read_json(dir + "/out/explain.json");
  EXPECT_EQ(j["image_ids"], nlohmann::json({0, 1, 2}));
  EXPECT_EQ(j["targets"], nlohmann::json({3, 3, 3}));
  EXPECT_EQ(j["model_untrained_builtin"], true);
  EXPECT_EQ(j["options"]["batch_size"], 5);
  ASSERT_EQ(j["methods"].size(), 3u);
  EXPECT_EQ(j["methods"][1]["spec"], "smoothgrad(guided_backprop, n=4)");
  EXPECT_EQ(j["methods"][1]["canonical"], "smoothgrad(guided_backprop, n=4, sigma=0.15)");
  EXPECT_EQ(j["methods"][1]["file"], "smoothgrad--guided_backprop--n=4.npy");
  EXPECT_EQ(j["methods"][2]["diagnostics"]["completeness_gap"].size(), 3u);

  // Bit for bit the maps a study computes for the same model, inputs, targets, seed and batch size
  // (explain_all's batch plan).
  Graph g = load_model("cnn", 0);
  const Tensor x = read_npy(inputs), t = torch::full({3}, 3, torch::kInt64);
  for (const auto& m : j["methods"]) {
    const std::string file = dir + "/out/" + m["file"].get<std::string>();
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    const Tensor saved = read_npy(file);
    EXPECT_EQ(saved.sizes(), x.sizes());
    EXPECT_EQ(saved.scalar_type(), torch::kFloat32);
    const MethodPtr method = MethodRegistry::instance().make(m["spec"].get<std::string>());
    EXPECT_TRUE(torch::equal(saved, explain_all(*method, g, x, t, torch::arange(3), ExplainOptions{5, 0})))
        << m["spec"];
    for (int id = 0; id < 3; ++id) {
      const std::string png = dir + "/out/" + file.substr(file.rfind('/') + 1, file.size() - file.rfind('/') - 5) +
                              "/" + std::to_string(id) + ".png";
      EXPECT_TRUE(std::filesystem::exists(png)) << png;
    }
  }
}

TEST(CliExplain, PatternMethodsFitOnFitDataAlsoWhenWrapped) {
  // --fit-data feeds pattern_attribution, on its own and inside smoothgrad (sigma 0: equal maps).
  const std::string dir = test::temp_dir("explain_fit");
  const std::string inputs = write_inputs(dir);
  write_npy(dir + "/fit.npy", torch::rand({40, 1, 28, 28}));
  const auto r = test::run_cli("explain --builtin cnn --data " + inputs + " --fit-data " + dir +
                               "/fit.npy --fit-count 40 --methods 'pattern_attribution(fit_count=40),"
                               "smoothgrad(pattern_attribution(fit_count=40), n=2, sigma=0)' --no-png --quiet --out " +
                               dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json(dir + "/out/explain.json");
  ASSERT_EQ(j["methods"].size(), 2u);
  const Tensor plain = read_npy(dir + "/out/" + j["methods"][0]["file"].get<std::string>());
  const Tensor smooth = read_npy(dir + "/out/" + j["methods"][1]["file"].get<std::string>());
  EXPECT_GT(plain.abs().sum().item<double>(), 0.0);
  EXPECT_LT(test::max_rel_error(smooth, plain), 1e-6);
}

TEST(CliExplain, DatasetSourceAndPredictedTargets) {
  const std::string dir = test::temp_dir("explain-mnist");
  const auto r = test::run_cli("explain --model cnn --data mnist --split test --count 4 --seed 2 --methods "
                               "gradcam,sobel --no-png --quiet --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json(dir + "/explain.json");
  EXPECT_EQ(j["image_ids"].size(), 4u);
  EXPECT_EQ(j["targets"], j["predicted"]);
  EXPECT_EQ(j["methods"][0]["gradcam_layer"], "relu2");
  EXPECT_EQ(read_npy(dir + "/gradcam.npy").sizes(), (std::vector<int64_t>{4, 1, 28, 28}));
  EXPECT_FALSE(std::filesystem::exists(dir + "/gradcam"));
}

TEST(CliExplain, BadInputGivesOneClearLine) {
  const std::string dir = test::temp_dir("explain-errors");
  const std::string inputs = write_inputs(dir);
  const std::string base = "explain --builtin cnn --out " + dir + "/out ";
  struct Case {
    std::string args, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"--data " + inputs + " --methods gradient,saliency", "valid methods: gradient, gradient_x_input"},
           {"--data " + inputs + " --methods 'integrated_gradients(step=4)'", "valid options: steps, baseline"},
           {"--data " + inputs + " --methods 'smoothgrad(gradient, sigma=a)'", "sigma=a is not a number"},
           {"--data " + write_inputs(test::temp_dir("explain-rgb"), 3) + " --methods gradient",
            "does not match the model's input"},
           {"--data " + inputs + " --methods gradient --target 10", "--target 10"},
           {"--data " + inputs + " --methods gradient --target true", "no labels"},
           {"--data " + inputs + " --methods 'gradcam(layer=nope)'", "no layer named 'nope'"},
       }) {
    const auto r = test::run_cli(base + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
  }
}
