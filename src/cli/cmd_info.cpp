// sanity info: print a model's layers, input and parameterized layers (the randomization order); without
// --model, what this build holds (versions, CUDA, OpenCV).
#include "cli/commands.h"
#include "core/build_info.h"
#include "core/runtime.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "randomization/stages.h"

namespace sanity::cli {

Command make_info_command() {
  auto model = std::make_shared<std::string>();
  Command c;
  c.add = [model](CLI::App& app) {
    auto* s = app.add_subcommand("info", "Show a model's layers (names for --layer options), input and output; "
                                         "without --model, what this build holds (LibTorch, CUDA, OpenCV)");
    s->add_option("--model", *model, "an .onnx file, or cnn / mlp / vit for the built-in architectures");
    return s;
  };
  c.execute = [model] {
    if (model->empty()) {
      std::printf("%s\n%s\n", version_text().c_str(), opencv_build_line().c_str());
      return 0;
    }
    Graph g = load_model(*model);
    std::printf("model %s\ninput '%s' [N", model->c_str(), g.input_spec().name.c_str());
    for (auto d : g.input_spec().shape) std::printf(", %lld", (long long)d);
    std::printf("]\nexplained output: %s\nlayers:\n%s", g.node(g.logits()).name.c_str(), g.summary().c_str());
    std::printf("parameterized layers, output to input (cascading randomization order):");
    for (int k : g.layers_top_down()) std::printf(" %s", g.node(k).name.c_str());
    std::printf("\n");
    // The groups `--layers blocks` randomizes together (randomization/stages.h).
    const auto groups = module_groups(g);
    std::printf("--layers blocks (%zu groups, output to input):", groups.size());
    for (const auto& gr : groups) std::printf(" %s[%zu]", gr.name.c_str(), gr.nodes.size());
    std::printf("\n");
    for (const auto& [k, v] : g.metadata)
      if (k != "batchnorm_folded") std::printf("metadata %s = %s\n", k.c_str(), v.c_str());
    if (const auto it = g.metadata.find("batchnorm_folded"); it != g.metadata.end())
      std::printf("note: %s\n", it->second.c_str());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
