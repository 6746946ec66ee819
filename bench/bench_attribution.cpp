// Attributions per second for every method, sanity against the same computation in PyTorch
// (bench/bench_attribution.py, run by this program in the same run on the same models and inputs),
// and against a per-sample python loop for SmoothGrad and Integrated Gradients.
//
//   bench_attribution [--threads 2] [--repeats 3] [--models mnist_cnn,resnet50]
//                     [--mnist-steps 50] [--resnet-steps 8] [--work /tmp/sanity-bench]
//                     [--methods gradient,integrated_gradients]   (keys as in the table; default all)
//
// --*-steps is both the IG step count and the SmoothGrad / VarGrad sample count for that model.
// Prints a markdown table for bench/RESULTS.md.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "attribution/registry.h"
#include "core/runtime.h"
#include "data/npy.h"
#include "models/model_io.h"

using namespace sanity;

namespace {

struct Setup {
  std::string name;
  int64_t count, batch, steps;
};

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (!p || pclose(p) != 0) throw std::runtime_error("failed: " + cmd + "\n" + out);
  return out;
}

// Best of up to `repeats` runs, stopping once `budget` seconds are spent; calls under a millisecond
// repeat until half a second is spent, so timer noise does not decide them (the python side does
// the same).
double seconds_of(const std::function<void()>& f, int repeats, double budget = 2.0) {
  double best = 1e30, total = 0;
  for (int r = 0; r == 0 || (r < repeats && total < budget) || (total < 0.5 && r < 1000); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, dt);
    total += dt;
  }
  return best;
}

std::vector<std::pair<std::string, std::string>> method_list(int64_t steps) {
  const std::string s = std::to_string(steps);
  return {{"gradient", "gradient"},
          {"gradient_x_input", "gradient_x_input"},
          {"integrated_gradients", "integrated_gradients(steps=" + s + ")"},
          {"guided_backprop", "guided_backprop"},
          {"deconvnet", "deconvnet"},
          {"gradcam", "gradcam"},
          {"guided_gradcam", "guided_gradcam"},
          {"smoothgrad", "smoothgrad(gradient, n=" + s + ")"},
          {"vargrad", "vargrad(gradient, n=" + s + ")"},
          {"sobel", "sobel"},
          {"noise", "noise"},
          {"constant", "constant"}};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeats = 3;
  int64_t mnist_steps = 50, resnet_steps = 8;
  std::string models = "mnist_cnn,resnet50", work = "/tmp/sanity-bench", only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") threads = std::stoi(v);
    else if (k == "--repeats") repeats = std::stoi(v);
    else if (k == "--models") models = v;
    else if (k == "--mnist-steps") mnist_steps = std::stoll(v);
    else if (k == "--resnet-steps") resnet_steps = std::stoll(v);
    else if (k == "--work") work = v;
    else if (k == "--methods") only = "," + v + ",";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  configure_allocator();
  configure_threads(threads);
  const std::string script = std::string(SANITY_SOURCE_DIR) + "/bench/bench_attribution.py";
  std::filesystem::create_directories(work);
  run(std::string(SANITY_PYTHON) + " " + script + " export " + work);

  std::vector<Setup> setups;
  if (models.find("mnist_cnn") != std::string::npos) setups.push_back({"mnist_cnn", 200, 256, mnist_steps});
  if (models.find("resnet50") != std::string::npos) setups.push_back({"resnet50", 16, 16, resnet_steps});

  std::printf("threads %d; best of up to %d runs within 2 s per method (python loops: 1 run)\n\n", threads, repeats);
  for (const Setup& s : setups) {
    Graph g = load_onnx(work + "/bench_" + s.name + ".onnx");
    const Tensor x = read_npy(work + "/bench_" + s.name + "_x.npy").narrow(0, 0, s.count).contiguous();
    const Tensor t = predicted_classes(g, x);
    // Each method is timed here and then in PyTorch right after, so both see the same machine load.
    std::map<std::string, double> ours, torch_batched, torch_loop;
    uint64_t runs = 0;  // seeds the timed runs: never the same twice
    {  // warm up on one full batch, as the python side does in each of its processes
      const int64_t n = std::min(s.batch, s.count);
      AttributionContext warm{g, s.batch, 0, torch::arange(n), nullptr};
      MethodRegistry::instance().make("gradient")->attribute(warm, x.narrow(0, 0, n), t.narrow(0, 0, n));
    }
    const auto selected = [&](const std::string& key) {
      return only.empty() || only.find("," + key + ",") != std::string::npos;
    };
    for (const auto& [key, spec] : method_list(s.steps)) {
      if (!selected(key)) continue;
      MethodPtr m = MethodRegistry::instance().make(spec);
      AttributionContext ctx{g, s.batch, 0, torch::arange(s.count), nullptr};
      AttributionContext one{g, s.batch, 0, torch::arange(1), nullptr};
      m->attribute(one, x.narrow(0, 0, 1), t.narrow(0, 0, 1));  // warm up
      // A fresh seed per run: smoothgrad / vargrad keep each pass in a cache (noise_tunnel.h), which
      // a repeated run (or vargrad after smoothgrad) would otherwise read instead of computing.
      ours[key] = seconds_of([&] {
        ctx.seed = ++runs;
        m->attribute(ctx, x, t);
      }, repeats);
      std::ostringstream cmd;
      cmd << SANITY_PYTHON << " " << script << " time " << work << " " << s.name << " " << s.count << " " << s.steps
          << " " << s.batch << " " << repeats << " " << threads << " " << key;
      const nlohmann::json py = nlohmann::json::parse(run(cmd.str()));
      torch_batched[key] = py["batched"].get<double>();
      if (py.contains("loop")) torch_loop[key] = py["loop"].get<double>();
      std::fprintf(stderr, "%s %s: sanity %.3f s, PyTorch %.3f s\n", s.name.c_str(), spec.c_str(), ours[key],
                   torch_batched[key]);
    }
    std::printf("### %s, %lld images, batch %lld, IG steps = SmoothGrad/VarGrad n = %lld\n\n", s.name.c_str(),
                (long long)s.count, (long long)s.batch, (long long)s.steps);
    std::printf("| method | sanity maps/s | PyTorch maps/s | sanity / PyTorch | python per-sample loop maps/s | "
                "sanity / loop |\n|---|---:|---:|---:|---:|---:|\n");
    for (const auto& [key, spec] : method_list(s.steps)) {
      if (!selected(key)) continue;
      const double a = s.count / ours[key], b = s.count / torch_batched[key];
      std::printf("| `%s` | %.3g | %.3g | %.2fx |", spec.c_str(), a, b, a / b);
      if (torch_loop.count(key)) {
        const double c = s.count / torch_loop[key];
        std::printf(" %.3g | %.1fx |\n", c, a / c);
      } else {
        std::printf("  |  |\n");
      }
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}
