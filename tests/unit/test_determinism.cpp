// What the determinism tests rest on takes effect: the kernel each test registered as name@<kernel>
// names (tests/kernels.cmake), and the thread count --threads names, for whichever BLAS LibTorch
// carries (MKL in the torch wheel, OpenBLAS in Debian's LibTorch: the other's tests skip).
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/runtime.h"

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// What `run` prints on stdout (C stdio: MKL's verbose lines), read back from a file.
template <class F>
std::string captured_stdout(F run) {
  const std::string path = testing::TempDir() + "/determinism_stdout.txt";
  std::fflush(stdout);
  const int saved = dup(1);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  run();
  std::fflush(stdout);
  dup2(saved, 1);
  close(fd);
  close(saved);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// The torch wheel's BLAS is MKL, linked into LibTorch: MKL_ENABLE_INSTRUCTIONS caps its dispatch,
// and an unsupported value falls back silently. Its verbose line names the instruction set it ran.
TEST(Determinism, MklRunsTheKernelTheTestNames) {
  const char* wanted = std::getenv("MKL_ENABLE_INSTRUCTIONS");
  if (!wanted) GTEST_SKIP() << "MKL_ENABLE_INSTRUCTIONS not set: not a kernel-choice run";
  using Verbose = int (*)(int);
  const auto verbose = reinterpret_cast<Verbose>(dlsym(RTLD_DEFAULT, "MKL_Verbose"));  // the C interface (mkl_verbose is Fortran's, by pointer)
  if (!verbose) GTEST_SKIP() << "LibTorch's BLAS is not MKL";
  const std::string log = captured_stdout([&] {
    verbose(1);
    (void)torch::mm(torch::ones({64, 64}), torch::ones({64, 64}));
    verbose(0);
  });
  // On other vendors' CPUs MKL runs its generic code path whatever the variable says ("Intel(R)
  // Architecture processors", measured on an AMD EPYC): there only oneDNN's switch picks a kernel.
  if (log.find("for Intel(R) 64 architecture Intel(R) Architecture processors") != std::string::npos)
    GTEST_SKIP() << "MKL runs its generic path on this CPU and ignores MKL_ENABLE_INSTRUCTIONS";
  const std::map<std::string, std::string> shown{{"AVX2", "(Intel(R) AVX2)"}, {"AVX512", "(Intel(R) AVX-512)"},
                                                 {"AVX", "(Intel(R) AVX)"}};
  ASSERT_TRUE(shown.count(wanted)) << wanted;
  EXPECT_NE(log.find(shown.at(wanted)), std::string::npos) << log;
}

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

// --threads reaches the BLAS a library named by its thread-count getter (`symbol`), when loaded.
void expect_threads_reach(const char* symbol) {
  using GetThreads = int (*)();
  const auto blas_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, symbol));
  if (!blas_threads) GTEST_SKIP() << symbol << " is not loaded";
  for (const int n : {1, 2, 1}) {
    EXPECT_EQ(sanity::configure_threads(n), n);
    EXPECT_EQ(blas_threads(), n);
  }
  sanity::configure_threads(2);  // test_main's
}

// --threads reaches OpenBLAS too (core/runtime.cpp): its pthreads build keeps a thread count of its
// own, and the bits of a product depend on how many threads split it. (OpenCV loads it beside the
// torch wheel's MKL.)
TEST(Determinism, ThreadsOptionReachesOpenBlas) { expect_threads_reach("openblas_get_num_threads"); }

// And MKL, the torch wheel's BLAS (LibTorch passes its thread count on).
TEST(Determinism, ThreadsOptionReachesMkl) { expect_threads_reach("mkl_get_max_threads"); }
