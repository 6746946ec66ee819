#pragma once
// The temporary folders a test program made (test::temp_dir), removed when all its tests pass
// (test_main.cpp) and kept when one fails, to look at. Left behind, they filled the CI machine's
// disk: tens of GB after a few runs of the suite.
#include <string>
#include <vector>

namespace sanity::test {

inline std::vector<std::string>& temp_dirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

}  // namespace sanity::test
