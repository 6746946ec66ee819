#include "core/runtime.h"

#include <c10/core/CachingDeviceAllocator.h>

#include <dlfcn.h>
#include <unistd.h>

#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

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

double memory_for_batches(torch::Device device) {
  if (device.is_cpu()) return physical_memory_bytes();
  if (!device.is_cuda()) return 0;
  const c10::DeviceIndex index = device.has_index() ? device.index() : 0;
  c10::DeviceAllocator* allocator = c10::getDeviceAllocator(c10::DeviceType::CUDA);
  const auto [free, total] = allocator->getMemoryInfo(index);
  const auto stats = allocator->getDeviceStats(index);
  const auto all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  const int64_t cached = stats.reserved_bytes[all].current - stats.allocated_bytes[all].current;
  return static_cast<double>(free) + static_cast<double>(std::max<int64_t>(cached, 0));
}

std::string memory_owner(torch::Device device) {
  if (device.is_cpu()) return "this machine's";
  return (device.has_index() ? device.str() : device.str() + ":0") + "'s free";
}

void configure_allocator() {
#ifdef __GLIBC__
  mallopt(M_MMAP_MAX, 0);                  // large blocks come from the heap, reusable
  mallopt(M_TRIM_THRESHOLD, 1 << 30);      // and stay there unless a gigabyte is free at its top
#endif
}

namespace {

bool cuda_compiled_in() { return at::detail::getCUDAHooks().isBuilt(); }

}  // namespace

torch::Device parse_device(const std::string& name, const std::string& subject) {
  const std::string head = (subject.empty() ? "--device " + name : subject) + ": ";
  const std::string expected = head + "expected cpu, cuda, cuda:N or auto";
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return cuda_compiled_in() && torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
  // A backend registered in this process under its own name (PrivateUse1: a vendor's, or the tests'
  // host-backed second device).
  const bool registered = c10::is_privateuse1_backend_registered() && name.rfind(c10::get_privateuse1_backend(), 0) == 0;
  if (name.rfind("cuda", 0) != 0 && !registered) throw InputError(expected);
  if (registered) {
    try {
      return torch::Device(name);
    } catch (const c10::Error&) {
      throw InputError(expected);
    }
  }
  if (!cuda_compiled_in())
    throw InputError(head + "this LibTorch (" TORCH_VERSION ") has no CUDA compiled in; use cpu");
  if (!torch::cuda::is_available())
    throw InputError(head + "LibTorch " TORCH_VERSION " has CUDA, but this machine shows no CUDA device "
                     "(no GPU or no driver); use cpu");
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
    throw InputError(expected);
  }
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (device.has_index() && device.index() >= count)
    throw InputError(head + "this machine has " + std::to_string(count) + " CUDA device(s), cuda:0 to cuda:" +
                     std::to_string(count - 1));
  return device;
}

namespace {

bool& generic_paths_flag() {
  static bool forced = [] {
    const char* v = std::getenv("SANITY_GENERIC_PATHS");
    return v != nullptr && std::string(v) == "1";
  }();
  return forced;
}

}  // namespace

void force_generic_paths(bool on) { generic_paths_flag() = on; }

bool generic_paths_forced() { return generic_paths_flag(); }

bool cpu_fast_path(const torch::Tensor& t) { return t.is_cpu() && !generic_paths_flag(); }

std::string version_text() {
  const bool cuda = cuda_compiled_in();
  std::string text = "sanity " SANITY_VERSION "\nLibTorch " TORCH_VERSION "\nCUDA: ";
  if (!cuda) return text + "not compiled in";
  return text + "compiled in, " + std::to_string(torch::cuda::device_count()) + " device(s) visible";
}

}  // namespace sanity
