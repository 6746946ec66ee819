#include "cli/commands.h"

#include <charconv>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/runtime.h"
#include "data/sources.h"
#include "distributed/world.h"

namespace sanity::cli {

void add_common_options(CLI::App* sub, CommonOptions& o) {
  sub->add_option("--threads", o.threads, "CPU threads (default: all cores; under MPI, per rank: the cores shared by the ranks on each machine)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            int n = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > max_threads())
              return "expected 1 to " + std::to_string(max_threads()) + " (leave it out for all cores), got " + v;
            return "";
          },
          "1.." + std::to_string(max_threads())));
  o.device_option = sub->add_option("--device", o.device, "cpu, cuda, cuda:N or auto (a GPU when there is one)")
                        ->capture_default_str();
  sub->add_option("--data-dir", o.data_dir, "where datasets are cached (default $SANITY_DATA or ~/.cache/sanity)");
  sub->add_flag("--quiet", o.quiet, "no progress bars");
}

void add_precision_option(CLI::App* sub, CommonOptions& o) {
  o.precision_option =
      sub->add_option("--precision", o.precision,
                      "arithmetic of the attribution passes and training: float32 (the reference), tf32 (CUDA) or "
                      "bf16 (CUDA; CPUs with AVX512-BF16 or AMX); see docs/GPU.md for its agreement with float32")
          ->capture_default_str();
}

void apply_common_options(const CommonOptions& o) {
  // The ranks of a distributed run on one machine share its cores unless told otherwise.
  const distributed::World& world = distributed::World::instance();
  int threads = o.threads;
  if (threads == 0 && world.distributed())
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / world.local_size());
  configure_threads(threads);
  parse_device(o.device);
}

void add_fit_options(CLI::App* sub, FitArgs& f) {
  sub->add_option("--fit-data", f.source.data,
                  "training images for pattern methods: a dataset, folder or .npy (default: --data's train split)");
  sub->add_option("--fit-count", f.source.count, "training images used to fit patterns")->capture_default_str();
}

void add_data_options(CLI::App* sub, DataArgs& d, int64_t default_count) {
  d.options.testbed.count = default_count;
  sub->add_option("--data", d.options.spec, "mnist, fashion-mnist, an image folder, or a .npy array (N x C x H x W float32)");
  d.split = sub->add_option("--split", d.options.split, "train or test (built-in datasets)")->capture_default_str();
  d.count = sub->add_option("--count", d.options.testbed.count, "number of images in the test bed (0: all)")
                ->capture_default_str();
  sub->add_option("--seed", d.options.testbed.seed, "seed of the test-bed selection and of every random draw")
      ->capture_default_str();
  sub->add_flag("--balanced", d.options.testbed.balanced, "balance the test bed across classes");
  sub->add_option("--labels", d.options.labels, "labels file (image folder) or labels .npy (with a .npy --data)");
  sub->add_option("--resize", d.options.preprocess.resize, "image folders: resize the shorter side to N pixels");
  sub->add_option("--crop", d.options.preprocess.crop, "image folders: center crop to N x N");
  sub->add_option("--channels", d.options.preprocess.channels, "image folders: 3 (RGB) or 1 (grayscale)")
      ->capture_default_str();
  sub->add_option("--mean", d.mean, "image folders: per-channel mean subtracted after scaling to [0, 1], e.g. 0.485,0.456,0.406");
  sub->add_option("--std", d.std, "image folders: per-channel standard deviation, e.g. 0.229,0.224,0.225");
  sub->add_flag("--imagenet", d.imagenet, "image folders: resize 256, crop 224, torchvision's ImageNet mean and std");
}

static std::vector<double> parse_doubles(const std::string& text, const char* option) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError(std::string(option) + " " + text + ": expected comma-separated numbers");
    }
  }
  return out;
}

DataOptions finish_data_options(DataArgs& d, const CommonOptions& common) {
  DataOptions o = d.options;
  o.data_dir = common.data_dir;
  o.count_given = d.count && d.count->count() > 0;
  o.split_given = d.split && d.split->count() > 0;
  api::apply_preprocess(o, d.imagenet, d.mean.empty() ? std::vector<double>{} : parse_doubles(d.mean, "--mean"),
                        d.std.empty() ? std::vector<double>{} : parse_doubles(d.std, "--std"));
  return o;
}

namespace {

// "" when `v` is a decimal integer that fits int64 (or, unsigned, uint64); else what was expected.
std::string decimal_integer_problem(const std::string& v, bool is_unsigned) {
  const char *begin = v.data(), *end = v.data() + v.size();
  uint64_t u = 0;
  int64_t i = 0;
  const std::from_chars_result r = is_unsigned ? std::from_chars(begin, end, u) : std::from_chars(begin, end, i);
  const std::string expected = std::string("expected a whole number in decimal digits") + (is_unsigned ? ", 0 or more" : "");
  if (r.ec == std::errc::result_out_of_range) return expected + " that fits in 64 bits, got " + v;
  if (r.ec != std::errc() || r.ptr != end) return expected + ", got " + v;
  return "";
}

}  // namespace

void require_well_formed_values(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    const std::string full = o->get_type_name(), type = full.substr(0, full.find(':'));  // "INT:1..8"
    if (type == "INT" || type == "UINT") {
      const bool is_unsigned = type == "UINT";
      o->check(CLI::Validator([is_unsigned](std::string& v) { return decimal_integer_problem(v, is_unsigned); }, ""));
    } else if (type == "TEXT" && !o->get_required()) {  // a required one's own check says what it expects
      o->check(CLI::Validator(
          [](std::string& v) {
            return v.find_first_not_of(" \t") == std::string::npos ? "empty; leave the option out for its default" : "";
          },
          ""));
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) require_well_formed_values(*sub);
}

std::string units_by_rank(const std::vector<int64_t>& counts) {
  if (counts.size() < 2) return "";
  std::string s = " (by rank 0 to " + std::to_string(counts.size() - 1) + ": ";
  for (size_t i = 0; i < counts.size(); ++i) s += (i ? ", " : "") + std::to_string(counts[i]);
  return s + ")";
}

std::vector<Command> all_commands() {
  std::vector<Command> c;
  c.push_back(make_run_command());  // first: main.cpp runs it when no command is given
  c.push_back(make_train_command());
  c.push_back(make_info_command());
  c.push_back(make_data_command());
  c.push_back(make_check_command());
  c.push_back(make_export_command());
  c.push_back(make_merge_command());
  c.push_back(make_csc_command());
  c.push_back(make_evaluate_command());
  c.push_back(make_explain_command());
  c.push_back(make_faithfulness_command());
  c.push_back(make_report_command());
  c.push_back(make_list_command());
  return c;
}

}  // namespace sanity::cli
