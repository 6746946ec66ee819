#pragma once
// The subcommand registry: each cmd_*.cpp defines one factory; all_commands() lists them.
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sanity::cli {

struct Command {
  // Adds the subcommand and its options to the app; returns nothing, keeps the CLI::App* for parsed().
  std::function<CLI::App*(CLI::App&)> add;
  std::function<int()> execute;
  CLI::App* sub = nullptr;

  void attach(CLI::App& app) { sub = add(app); }
  bool parsed() const { return sub && sub->parsed(); }
  int run() const { return execute(); }
};

// Options most commands share.
struct CommonOptions {
  int threads = 0;
  std::string device = "cpu";
  std::string data_dir;
  bool quiet = false;
};
void add_common_options(CLI::App* sub, CommonOptions& o);
// Applies threads and device; returns the device.
void apply_common_options(const CommonOptions& o);

Command make_train_command();
Command make_info_command();
Command make_data_command();
Command make_csc_command();

std::vector<Command> all_commands();

}  // namespace sanity::cli
