#pragma once
// Running the external tools the report needs (node, rsvg-convert) without a shell: arguments are
// passed as they are, so paths with spaces or quotes need no escaping.
#include <string>
#include <vector>

namespace sanity::report {

struct ProcessResult {
  int exit_code = -1;  // 127 when the program could not be started
  std::string output;  // stdout and stderr together
};

ProcessResult run_process(const std::vector<std::string>& argv);
// The executable's path: `name` itself when it contains '/', else the first match on $PATH;
// "" when there is none.
std::string find_executable(const std::string& name);

}  // namespace sanity::report
