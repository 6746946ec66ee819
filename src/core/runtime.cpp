#include "core/runtime.h"

#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "core/error.h"

namespace sanity {

int configure_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  return torch::get_num_threads();
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
