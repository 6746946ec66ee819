#pragma once
// A synthetic study directory for the report tests, laid out as docs/STUDY_DIRECTORY.md says
// `sanity run` writes it. Every stored number comes from the functions below, so a test can
// recompute what a figure must plot without going through the store.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "data/npy.h"
#include "results/checked_npy.h"
#include "results/store.h"

namespace sanity::test {

struct SyntheticStudy {
  std::string dir;
  int64_t cnn = 0, mlp = 0;  // run ids
};

inline const std::vector<std::string>& study_methods() {
  static const std::vector<std::string> m = {"gradient", "guided_backprop", "integrated_gradients(steps=50)"};
  return m;
}
inline const std::vector<std::string>& study_metrics() {
  static const std::vector<std::string> m = {"spearman_abs", "ssim(data_range=1)"};
  return m;
}
inline const std::vector<std::string>& cascading_labels() {
  static const std::vector<std::string> l = {"original", "fc2", "fc1", "conv2", "conv1"};
  return l;
}
constexpr int kImages = 5;
constexpr int kSteps = 6;

// Similarity of method m at a stage for one image: 1 at stage 0 (by definition); the gradient and
// IG fall, Guided Backprop stays high (the paper's failing case). One NaN: gradient, conv1, image 4.
inline double similarity(const std::string& check, int m, int64_t stage, int metric, int image) {
  if (stage == 0) return 1.0;
  if (check == "cascading" && m == 0 && stage == 4 && metric == 0 && image == 4) return std::nan("");
  const double slope[] = {0.22, 0.02, 0.15};
  const double check_shift = check == "independent" ? 0.1 : check == "data" ? 0.05 : check == "random_logit" ? 0.3 : 0.0;
  return 1 - slope[m] * static_cast<double>(stage) - check_shift * m + 0.03 * metric +
         0.04 * std::sin(1.7 * image + 0.3 * m + stage);
}
inline double accuracy(const std::string& check, int64_t stage) { return stage == 0 ? 0.99 : 0.08 + 0.01 * stage; }
inline double activation(int quantity, int layer, int64_t stage) { return 1 - 0.05 * stage * (quantity + 1) / (layer + 1); }
// CSC: median / q1 / q3 / baseline of method m at depth d (Guided Backprop converges, the gradient does not).
inline double csc(int m, int depth, int which) {
  const double median = m == 1 ? 0.6 + 0.15 * depth : 0.1 + 0.01 * depth + 0.05 * m;
  const double offset[] = {0.0, -0.05, 0.05};
  return which == 3 ? 0.05 + 0.01 * depth : median + offset[which];
}
inline const std::vector<std::string>& csc_layers() {
  static const std::vector<std::string> l = {"fc1", "conv2", "conv1"};  // depth 0, 1, 2 below fc2
  return l;
}
// Pixel-flipping probability after `step` perturbations (order 0 MoRF, 1 LeRF).
inline double flip_prob(int m, int order, int step, int image) {
  const double rate[] = {0.15, 0.05, 0.12};
  const double r = order == 0 ? rate[m] : rate[m] / 4;
  return std::exp(-r * step) * (0.9 + 0.02 * image);
}
// Per-image faithfulness scores: 0 aopc_morf, 1 aopc_lerf, 2 insertion_auc, 3 deletion_auc.
inline double faithfulness(int m, int which, int image) {
  const double base[4][3] = {{0.40, 0.10, 0.35}, {0.08, 0.04, 0.07}, {0.70, 0.50, 0.65}, {0.20, 0.45, 0.25}};
  return base[which][m] + 0.01 * image;
}
inline const std::vector<std::string>& faithfulness_metrics() {
  static const std::vector<std::string> f = {"aopc_morf", "aopc_lerf", "insertion_auc", "deletion_auc"};
  return f;
}

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Maps for run `run`: 2 images 1x28x28 (a bright disc), cascading (5 stages) and data (2 stages).
inline void write_maps(const std::string& dir, int64_t run) {
  namespace fs = std::filesystem;
  const std::string root = dir + "/maps/" + std::to_string(run);
  fs::create_directories(root);
  torch::Tensor yy = torch::arange(28, torch::kFloat32).view({28, 1}).expand({28, 28});
  torch::Tensor xx = torch::arange(28, torch::kFloat32).view({1, 28}).expand({28, 28});
  torch::Tensor disc = ((yy - 14).pow(2) + (xx - 12).pow(2) < 64).to(torch::kFloat32);
  torch::Tensor images = torch::stack({disc, disc.flip(1)}).unsqueeze(1);  // [2, 1, 28, 28]
  write_checked_npy(root + "/images.npy", images);
  nlohmann::json index = {{"images", {3, 17}}, {"image_file", "images.npy"}, {"methods", nlohmann::json::array()}};
  const std::vector<std::string> files = {"gradient", "guided_backprop", "integrated_gradients"};
  for (size_t m = 0; m < files.size(); m++) index["methods"].push_back({{"spec", study_methods()[m]}, {"file", files[m]}});
  at::Generator gen = make_generator(7);
  auto save_check = [&](const std::string& check, const std::vector<std::string>& labels) {
    for (size_t s = 0; s < labels.size(); s++) {
      index["checks"][check].push_back({{"stage", s}, {"label", labels[s]}});
      fs::create_directories(root + "/" + check + "/" + std::to_string(s));
      for (size_t m = 0; m < files.size(); m++) {
        // Edges of the disc fading into noise as the stage grows (Guided Backprop keeps its edges).
        const double keep = m == 1 ? 1.0 : 1.0 / (1.0 + static_cast<double>(s));
        torch::Tensor edges = (images - images.roll(1, 3)).abs() + (images - images.roll(1, 2)).abs();
        torch::Tensor noise = torch::randn({2, 1, 28, 28}, gen);
        write_checked_npy(root + "/" + check + "/" + std::to_string(s) + "/" + files[m] + ".npy",
                  (keep * edges + (1 - keep) * noise).to(torch::kFloat32));
      }
    }
  };
  save_check("cascading", cascading_labels());
  save_check("data", {"true labels", "permuted labels"});
  write_text(root + "/index.json", index.dump(1));
}

// The full study: run "cnn" with every kind of measurement and maps, run "mlp" with cascading only.
inline SyntheticStudy make_synthetic_study(const std::string& dir) {
  SyntheticStudy st{dir, 0, 0};
  ResultsStore store(dir + "/results.sqlite");
  st.cnn = store.open_run({"cnn", "mnist:test:5", {{"methods", study_methods()}}, 0});
  st.mlp = store.open_run({"mlp", "mnist:test:5", {{"methods", study_methods()}}, 0});
  const std::vector<std::pair<std::string, std::vector<std::string>>> checks = {
      {"cascading", cascading_labels()},
      {"independent", cascading_labels()},
      {"data", {"true labels", "permuted labels"}},
      {"random_logit", {"random class"}}};
  for (int64_t run : {st.cnn, st.mlp}) {
    for (const auto& [check, labels] : checks) {
      if (run == st.mlp && check != "cascading") continue;
      for (size_t s = 0; s < labels.size(); s++) {
        const int64_t stage = static_cast<int64_t>(s) + (check == "random_logit" ? 1 : 0);
        store.label_stage(run, check, stage, labels[s]);
        for (int m = 0; m < 3; m++) {
          std::vector<Measurement> rows;
          for (int k = 0; k < 2; k++)
            for (int i = 0; i < kImages; i++) rows.push_back({study_metrics()[k], similarity(check, m, stage, k, i), i});
          store.record_unit({run, check, stage, study_methods()[m]}, rows);
        }
        if (check == "random_logit") continue;
        std::vector<Measurement> per_stage = {{"accuracy", accuracy(check, stage)},
                                              {"accuracy_low", accuracy(check, stage) - 0.01},
                                              {"accuracy_high", accuracy(check, stage) + 0.02}};
        if (check == "cascading")
          for (int q = 0; q < 2; q++)
            for (int l = 0; l < 3; l++)
              per_stage.push_back({q == 0 ? "activation_norm_ratio" : "activation_rank_corr", activation(q, l, stage), -1,
                                   -1, csc_layers()[l]});
        store.record_unit({run, check, stage, ""}, per_stage);
      }
    }
  }
  const char* csc_metrics[] = {"csc_median", "csc_q1", "csc_q3", "csc_baseline"};
  for (int m = 0; m < 3; m++)
    for (int d = 0; d < 3; d++) {
      std::vector<Measurement> rows;
      for (int w = 0; w < 4; w++) rows.push_back({csc_metrics[w], csc(m, d, w), -1, -1, csc_layers()[d]});
      store.record_unit({st.cnn, "csc", d, study_methods()[m]}, rows);
    }
  for (int m = 0; m < 3; m++) {
    std::vector<Measurement> rows;
    for (int i = 0; i < kImages; i++) {
      for (int o = 0; o < 2; o++)
        for (int s = 0; s < kSteps; s++) rows.push_back({o == 0 ? "morf_prob" : "lerf_prob", flip_prob(m, o, s, i), i, s});
      for (int w = 0; w < 4; w++) rows.push_back({faithfulness_metrics()[w], faithfulness(m, w, i), i});
    }
    store.record_unit({st.cnn, "pixel_flipping", -1, study_methods()[m]}, rows);
  }
  write_maps(dir, st.cnn);
  write_text(dir + "/study.json",
             nlohmann::json{{"command", "sanity run --model cnn --data mnist"},
                            {"versions", {{"sanity", "0.1.0"}, {"torch", "2.1"}}},
                            {"checks", {"cascading", "independent", "data"}}}
                 .dump(2));
  return st;
}

}  // namespace sanity::test
