#pragma once
// src/cli: the `sanity` command, argument parsing and printing only (the work is in src/api).
//
// The subcommand registry: each cmd_*.cpp defines one factory; all_commands() lists them.
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/inputs.h"
#include "core/spec.h"
#include "data/load.h"

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
  CLI::Option* device_option = nullptr;  // whether --device was given (sanity run: over the config's)
  std::string data_dir;
  bool quiet = false;
  // --device as given, or "" where it was left out.
  std::string device_given() const { return device_option && device_option->count() > 0 ? device : ""; }
  std::string precision = "float32";
  CLI::Option* precision_option = nullptr;  // on the commands that explain or train
  std::string precision_given() const { return precision_option && precision_option->count() > 0 ? precision : ""; }
};
void add_common_options(CLI::App* sub, CommonOptions& o);
// --precision float32|tf32|bf16, checked against the device where it is used (core/precision.h).
void add_precision_option(CLI::App* sub, CommonOptions& o);
// Applies threads and device.
void apply_common_options(const CommonOptions& o);

// --fit-data and --fit-count: training images for pattern methods (api/inputs.h).
struct FitArgs {
  api::FitSource source;
};
void add_fit_options(CLI::App* sub, FitArgs& f);

// --data and the options that shape it (split, count, seed, balanced, labels, image preprocessing).
// Image preprocessing options are strings, parsed by finish_data_options().
struct DataArgs {
  DataOptions options;
  std::string mean, std;  // comma-separated per-channel values
  bool imagenet = false;
  CLI::Option *count = nullptr, *split = nullptr;  // to tell a value given from the default
};
void add_data_options(CLI::App* sub, DataArgs& d, int64_t default_count = 200);
// Fills options.preprocess from the parsed strings and the data dir; throws InputError on bad values.
DataOptions finish_data_options(DataArgs& d, const CommonOptions& common);

// Every integer option of `app` and its subcommands takes decimal digits only, and a value that fits 64
// bits (CLI11 reads integers with strtoll/strtoull, which take "0x10" and "010" (octal), wrap "-5"
// into an unsigned seed and clamp a number past 64 bits without a word); every text option refuses
// an empty value (`--layers ''` would otherwise mean the default).
void require_well_formed_values(CLI::App& app);

// " (ranks 0, 1, ...: 12, 15, 14)" after a count of units a distributed run computed; "" otherwise.
std::string units_by_rank(const std::vector<int64_t>& counts);

Command make_train_command();
Command make_info_command();
Command make_data_command();
Command make_check_command();
Command make_export_command();
Command make_merge_command();
Command make_csc_command();
Command make_evaluate_command();
Command make_explain_command();
Command make_run_command();
Command make_faithfulness_command();
Command make_report_command();
Command make_list_command();

std::vector<Command> all_commands();

}  // namespace sanity::cli
