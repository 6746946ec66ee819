#include "core/runtime.h"

#include <dlfcn.h>
#include <unistd.h>

#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "core/error.h"

namespace sanity {

int max_threads() { return std::max(64, 4 * static_cast<int>(std::thread::hardware_concurrency())); }

namespace {

// LibTorch passes its thread count to OpenMP and MKL, but OpenBLAS built on pthreads (the variant
// Debian's alternatives pick when both are installed) keeps its own, all cores, and a matrix product
// split between other numbers of threads gets other last bits (docs/DETERMINISM.md): without this a
// process at --threads 1 multiplied on two threads, and an MPI rank bound to one core on one.
void set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  if (const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(n);
}

}  // namespace

int configure_threads(int n) {
  if (n < 0 || n > max_threads())
    throw InputError("--threads " + std::to_string(n) + ": expected 1 to " + std::to_string(max_threads()) +
                     " (leave it out for all " + std::to_string(std::thread::hardware_concurrency()) + " cores)");
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  set_blas_threads(n);
  return torch::get_num_threads();
}

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0.0;
}

void configure_allocator() {
#ifdef __GLIBC__
  mallopt(M_MMAP_MAX, 0);                  // large blocks come from the heap, reusable
  mallopt(M_TRIM_THRESHOLD, 1 << 30);      // and stay there unless a gigabyte is free at its top
#endif
}

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw InputError("--device " + name + ": CUDA is not available in this build of LibTorch or on this machine");
    return torch::Device(name);
  }
  throw InputError("--device " + name + ": expected cpu, cuda or cuda:N");
}

}  // namespace sanity
