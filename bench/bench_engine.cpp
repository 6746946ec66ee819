// Engine throughput, sanity vs PyTorch in the same run: forward + backward (the input gradient of one
// logit per image) for the MNIST CNN at batch 256, and ResNet-50, Inception v3, ViT-B/16 and ConvNeXt-T
// at batch 16 (random weights), same thread count and device.
//
//   build/bench/bench_engine [--threads 2] [--seconds 5] [--rounds 3] [--model-dir build/bench-models]
//                            [--models mnist_cnn,resnet50,inception_v3,vit_b_16,convnext_tiny]
//                            [--device cpu|cuda] [--batch N (every model's; default its own)]
//
// Each round measures PyTorch (bench/engine_pytorch.py, which also exports ResNet-50 on first use)
// and then sanity; rounds alternate so that load from other processes hits both sides alike, and
// the best round of each side is reported (the least disturbed one). Prints a Markdown table.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "core/runtime.h"
#include "models/backprop.h"
#include "models/builtin.h"
#include "models/model_io.h"

using namespace sanity;

namespace {

struct Case {
  std::string name;
  int64_t batch;
  std::vector<int64_t> input;
};
const Case kCases[] = {{"mnist_cnn", 256, {1, 28, 28}},
                       {"resnet50", 16, {3, 224, 224}},
                       {"inception_v3", 16, {3, 299, 299}},
                       {"vit_b_16", 16, {3, 224, 224}},
                       {"convnext_tiny", 16, {3, 224, 224}}};

// Waits for the device's queued work, so that the clock measures it (a GPU runs asynchronously).
void finish_work(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Images per second of forward_all + backprop of the target logit, run for at least `seconds`.
double sanity_throughput(const Graph& g, const Case& c, double seconds, torch::Device device) {
  std::vector<int64_t> shape{c.batch};
  shape.insert(shape.end(), c.input.begin(), c.input.end());
  torch::manual_seed(1);
  const Tensor x = torch::randn(shape).to(device);
  const Tensor classes = torch::arange(c.batch, torch::kInt64).remainder(10).to(device);
  auto once = [&] {
    Tensors acts = g.forward_all(x);
    backprop(g, acts, g.logits(), one_hot_seed(acts[g.logits()], classes));
    finish_work(device);
  };
  once();  // warm-up: oneDNN primitives, allocator
  const auto start = std::chrono::steady_clock::now();
  int64_t images = 0;
  double elapsed = 0;
  while (images < 3 * c.batch || elapsed < seconds) {
    once();
    images += c.batch;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return images / elapsed;
}

std::map<std::string, double> pytorch_throughputs(const std::string& model_dir, int threads, double seconds,
                                                 const std::string& models, size_t expected,
                                                 const std::string& device, int64_t batch) {
  const std::string script = std::string(SANITY_SOURCE_DIR) + "/bench/engine_pytorch.py";
  const std::string cmd = std::string(SANITY_PYTHON) + " " + script + " " + model_dir + " --threads " +
                          std::to_string(threads) + " --seconds " + std::to_string(seconds) + " --models " + models +
                          " --device " + device + (batch > 0 ? " --batch " + std::to_string(batch) : "");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::map<std::string, double> out;
  char line[4096];
  while (fgets(line, sizeof line, p)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("name")) out[j["name"]] = j["images_per_second"];
  }
  if (pclose(p) != 0 || out.size() != expected) throw std::runtime_error("failed: " + cmd);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, rounds = 3;
  int64_t batch = 0;  // 0: each model's own
  double seconds = 5;
  std::string model_dir = "bench-models", models = "mnist_cnn,resnet50", device_name = "cpu";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") threads = std::stoi(v);
    else if (k == "--seconds") seconds = std::stod(v);
    else if (k == "--rounds") rounds = std::stoi(v);
    else if (k == "--model-dir") model_dir = v;
    else if (k == "--models") models = v;
    else if (k == "--device") device_name = v;
    else if (k == "--batch") batch = std::stoll(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  torch::Device device = torch::kCPU;
  try {
    device = parse_device(device_name, "--device");
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  configure_allocator();
  torch::set_num_threads(threads);
  std::filesystem::create_directories(model_dir);
  std::vector<Case> cases;
  for (const auto& c : kCases)
    if (("," + models + ",").find("," + c.name + ",") != std::string::npos) {
      cases.push_back(c);
      if (batch > 0) cases.back().batch = batch;
    }
  std::map<std::string, double> best_sanity, best_torch;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& [name, rate] : pytorch_throughputs(model_dir, threads, seconds, models, cases.size(), device_name, batch))
      best_torch[name] = std::max(best_torch[name], rate);
    for (const auto& c : cases) {
      Graph g = c.name == "mnist_cnn" ? build_cnn(0) : load_onnx(model_dir + "/" + c.name + ".onnx");
      g.to(device);
      const double rate = sanity_throughput(g, c, seconds, device);
      best_sanity[c.name] = std::max(best_sanity[c.name], rate);
      std::fprintf(stderr, "round %d: %s sanity %.1f img/s, PyTorch %.1f img/s (best so far)\n", r + 1,
                   c.name.c_str(), rate, best_torch[c.name]);
    }
  }
  std::printf("| model | batch | sanity (images/s) | PyTorch (images/s) | sanity / PyTorch |\n");
  std::printf("|---|---|---|---|---|\n");
  for (const auto& c : cases)
    std::printf("| %s | %lld | %.1f | %.1f | %.2f |\n", c.name.c_str(), (long long)c.batch, best_sanity[c.name],
                best_torch[c.name], best_sanity[c.name] / best_torch[c.name]);
  std::printf("device %s, threads %d, best of %d rounds of >= %.0f s per model and side\n", device.str().c_str(), threads,
              rounds, seconds);
  return 0;
}
