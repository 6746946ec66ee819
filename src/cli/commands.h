#pragma once
// The subcommand registry: each cmd_*.cpp defines one factory; all_commands() lists them.
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attribution/spec.h"
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
  std::string data_dir;
  bool quiet = false;
};
void add_common_options(CLI::App* sub, CommonOptions& o);
// Applies threads and device.
void apply_common_options(const CommonOptions& o);

// Training images for methods that fit on data (pattern_net, pattern_attribution, also wrapped in
// smoothgrad / vargrad): --fit-data (default: --data's train split when --data is a built-in
// dataset) and --fit-count. Fitted patterns are saved beside an .onnx model and reused from there.
struct FitArgs {
  std::string data;
  int64_t count = 5000;
};
void add_fit_options(CLI::App* sub, FitArgs& f);
struct FitContext {
  Dataset data;           // empty when no method needs it or no source was given
  std::string cache_dir;  // the .onnx model's folder; empty for built-in models
};
// Loads the fit images only when one of `specs` (at any depth) needs them.
FitContext load_fit_context(const FitArgs& f, const DataOptions& data_options, const std::string& model,
                            const std::vector<MethodSpec>& specs);

// --data and the options that shape it (split, count, seed, balanced, labels, image preprocessing).
// Image preprocessing options are strings, parsed by finish_data_options().
struct DataArgs {
  DataOptions options;
  std::string mean, std;  // comma-separated per-channel values
  bool imagenet = false;
};
void add_data_options(CLI::App* sub, DataArgs& d, int64_t default_count = 200);
// Fills options.preprocess from the parsed strings and the data dir; throws InputError on bad values.
DataOptions finish_data_options(DataArgs& d, const CommonOptions& common);

Command make_train_command();
Command make_info_command();
Command make_data_command();
Command make_check_command();
Command make_export_command();
Command make_csc_command();
Command make_evaluate_command();
Command make_explain_command();
Command make_run_command();
Command make_faithfulness_command();
Command make_report_command();

std::vector<Command> all_commands();

}  // namespace sanity::cli
