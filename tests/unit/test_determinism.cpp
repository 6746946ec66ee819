// What the determinism tests rest on takes effect: the kernel each test registered as name@<kernel>
// names (tests/kernels.cmake), and the thread count --threads names.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/runtime.h"

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

// OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded; an unknown or unsupported name would fall
// back to its own pick silently, and the test under it would prove nothing about the named kernel.
TEST(Determinism, OpenBlasRunsTheKernelTheTestNames) {
  const char* wanted = std::getenv("OPENBLAS_CORETYPE");
  if (!wanted) GTEST_SKIP() << "OPENBLAS_CORETYPE not set: not a kernel-choice run";
  (void)torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));  // LibTorch's BLAS is loaded and used
  using CoreName = char* (*)();
  const auto core_name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!core_name) GTEST_SKIP() << "LibTorch's BLAS is not OpenBLAS";
  EXPECT_EQ(lower(core_name()), lower(wanted));
}

// --threads reaches OpenBLAS too (core/runtime.cpp): its pthreads build keeps a thread count of its
// own, and the bits of a product depend on how many threads split it.
TEST(Determinism, ThreadsOptionReachesOpenBlas) {
  using GetThreads = int (*)();
  const auto blas_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (!blas_threads) GTEST_SKIP() << "LibTorch's BLAS is not OpenBLAS";
  for (const int n : {1, 2, 1}) {
    EXPECT_EQ(sanity::configure_threads(n), n);
    EXPECT_EQ(blas_threads(), n);
  }
  sanity::configure_threads(2);  // test_main's
}
