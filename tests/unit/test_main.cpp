// Shared main for the test programs: two threads, as on the CI machine, and quiet LibTorch warnings.
#include <gtest/gtest.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  torch::set_num_threads(2);
  return RUN_ALL_TESTS();
}
