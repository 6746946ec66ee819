// Shared main for the test programs: two threads, as on the CI machine, and quiet LibTorch warnings;
// the program's temporary folders removed when its tests pass.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/runtime.h"
#include "temp_dirs.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  sanity::configure_allocator();  // as the command line does
  torch::set_num_threads(2);
  const int failed = RUN_ALL_TESTS();
  if (!failed)
    for (const std::string& dir : sanity::test::temp_dirs()) {
      std::error_code ignored;  // a folder that cannot be removed costs disk, not a test
      std::filesystem::remove_all(dir, ignored);
    }
  return failed;
}
