#include "cli/commands.h"

#include "core/runtime.h"
#include "data/sources.h"

namespace sanity::cli {

void add_common_options(CLI::App* sub, CommonOptions& o) {
  sub->add_option("--threads", o.threads, "CPU threads (default: all cores)");
  sub->add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  sub->add_option("--data-dir", o.data_dir, "where datasets are cached (default $SANITY_DATA or ~/.cache/sanity)");
  sub->add_flag("--quiet", o.quiet, "no progress bars");
}

void apply_common_options(const CommonOptions& o) {
  configure_threads(o.threads);
  parse_device(o.device);
}

std::vector<Command> all_commands() {
  std::vector<Command> c;
  c.push_back(make_train_command());
  c.push_back(make_info_command());
  c.push_back(make_data_command());
  c.push_back(make_csc_command());
  return c;
}

}  // namespace sanity::cli
