// Shared main for the test programs: two threads, as on the CI machine, and quiet LibTorch warnings.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/runtime.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  sanity::configure_allocator();  // as the command line does
  torch::set_num_threads(2);
  return RUN_ALL_TESTS();
}
