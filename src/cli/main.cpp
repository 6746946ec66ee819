// sanity: sanity checks for saliency maps. Each subcommand lives in its own file (cmd_*.cpp) and
// registers itself here; errors the user can fix print one line and exit non-zero (once, by rank 0,
// when the command runs under MPI: distributed/coordination.h).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "core/error.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "distributed/coordination.h"

namespace {

void print_error(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.substr(0, what.find('\n')).c_str());
}

// --help and --version as CLI11 prints them; every other parse error one line, exit 2. An unknown
// option is the likelier mistake than a missing one: when both, the unknown one is named.
int parse_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  if (e.get_exit_code() == 0) return app.exit(e);
  if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    std::vector<CLI::App*> apps{&app};
    for (CLI::App* sub : app.get_subcommands({})) apps.push_back(sub);
    for (CLI::App* a : apps)
      for (CLI::Option* o : a->get_options()) o->required(false);
    try {
      app.clear();
      app.parse(argc, argv);
    } catch (const CLI::ExtrasError& extras) {
      print_error(extras.what());
      return 2;
    } catch (const CLI::ParseError&) {
    }
  }
  print_error(e.what());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sanity::configure_allocator();
  const sanity::Float32Region float32;  // IEEE float32 outside --precision's passes, on a GPU too
  CLI::App app{
      "sanity: do your saliency maps depend on the model and the data they explain?\n"
      "Sanity checks (Adebayo et al. 2018), modified-backprop analysis (Sixt et al. 2020) and\n"
      "faithfulness measures (Binder et al. 2023) for attribution methods, in one fast C++ tool.",
      "sanity"};
  app.require_subcommand(0, 1);  // none: the default study, as `sanity run`
  app.set_version_flag("--version", [] { return sanity::version_text(); });
  app.footer(
      "Exit codes: 0 success, 1 internal error, 2 bad input (file, field or option), 3 unsupported\n"
      "(an ONNX operator, say), 130 interrupted (SIGINT), 143 stopped (SIGTERM: every committed unit\n"
      "is kept). Run `sanity <command> --help` for each command.");
  std::vector<sanity::cli::Command> commands = sanity::cli::all_commands();
  for (auto& c : commands) c.attach(app);
  sanity::cli::require_well_formed_values(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_error(app, e, argc, argv);
  }
  sanity::cli::StopSignals stop;
  try {
    for (auto& c : commands)
      if (c.parsed()) return c.run();
    std::fprintf(stderr,
                 "sanity: no command given, so running the default study (`sanity run`; `sanity --help` lists every "
                 "command): it trains the MNIST CNN, a copy on permuted labels and the MLP, explains 200 test images "
                 "with every method through cascading, independent and data randomization, CSC and pixel flipping, "
                 "and writes runs/study/ (results.sqlite, report/report.html). About 8 to 20 minutes on a 2-core "
                 "machine, on all %d cores here; Ctrl-C stops it, and running it again resumes.\n",
                 static_cast<int>(std::thread::hardware_concurrency()));
    return commands.front().run();
  } catch (const sanity::Interrupted& e) {
    const int signal = sanity::cli::StopSignals::received();
    return sanity::distributed::fail(signal ? 128 + signal : 130, e.what());
  } catch (const sanity::InputError& e) {
    return sanity::distributed::fail(2, e.what());
  } catch (const sanity::UnsupportedError& e) {
    return sanity::distributed::fail(3, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the user gave that the file system refuses (a link loop, no permission): bad input.
    const std::string path = e.path1().empty() ? std::string("a path") : e.path1().string();
    return sanity::distributed::fail(2, path + ": " + e.code().message());
  } catch (const std::exception& e) {
    return sanity::distributed::fail(1, e.what());
  }
  return 0;
}
