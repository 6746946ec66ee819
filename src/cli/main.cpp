// sanity: sanity checks for saliency maps. Each subcommand lives in its own file (cmd_*.cpp) and
// registers itself here; errors the user can fix print one line and exit non-zero.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"
#include "core/runtime.h"

int main(int argc, char** argv) {
  sanity::configure_allocator();
  CLI::App app{
      "sanity: do your saliency maps depend on the model and the data they explain?\n"
      "Sanity checks (Adebayo et al. 2018), modified-backprop analysis (Sixt et al. 2020) and\n"
      "faithfulness measures (Binder et al. 2023) for attribution methods, in one fast C++ tool.",
      "sanity"};
  app.require_subcommand(0, 1);  // none: the default study, as `sanity run`
  app.set_version_flag("--version", SANITY_VERSION);
  app.footer(
      "Exit codes: 0 success, 1 internal error, 2 bad input (file, field or option), 3 unsupported\n"
      "(an ONNX operator, say), 130 interrupted. Run `sanity <command> --help` for each command.");
  std::vector<sanity::cli::Command> commands = sanity::cli::all_commands();
  for (auto& c : commands) c.attach(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (auto& c : commands)
      if (c.parsed()) return c.run();
    std::fprintf(stderr, "sanity: no command given, so running the default study (`sanity run`); "
                         "`sanity --help` lists every command\n");
    return commands.front().run();
  } catch (const sanity::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const sanity::UnsupportedError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
