#pragma once
// Process-wide runtime settings: thread count and device.
#include <ATen/record_function.h>
#include <torch/types.h>

#include <string>

// Marks the rest of a scope as host work by design (reading a file, a seed that must not depend on
// the device's rounding): a user scope named "sanity::host <what>" in the PyTorch profiler, and what
// the tests' record of host computation (tests/unit/host_device.h) leaves out.
#define SANITY_HOST_PHASE(what) RECORD_USER_SCOPE("sanity::host " what)

namespace sanity {

// Sets LibTorch's intra-op threads; 0 means all cores (LibTorch here defaults to one). Anything
// else outside 1..max_threads() is InputError naming --threads. Returns the number of threads in use.
int configure_threads(int n);
// The most threads a process may ask for: 4 per core, at least 64.
int max_threads();

// Physical memory of this machine in bytes (0 if unknown).
double physical_memory_bytes();
// The memory batches on `device` may use, in bytes (0 if unknown): the machine's physical memory for
// the CPU; for a CUDA device its free memory plus what PyTorch's caching allocator holds unused (the
// blocks it keeps for reuse). What batch sizes are checked against, and what bounds remembered
// forward values (models/activation_reuse.h).
double memory_for_batches(torch::Device device);
// "this machine's" or "cuda:0's free", for messages about that memory.
std::string memory_owner(torch::Device device);

// Keeps freed memory in the process instead of handing it back to the kernel after every batch.
// Activations are tens of megabytes; glibc serves blocks that large with mmap and unmaps them when
// freed, so every sweep page-faults its memory in again (15-20 % of the time on the MNIST CNN,
// 40 % system time on ResNet-50). Call once at start-up; a no-op on other C libraries.
void configure_allocator();

// "cpu", "cuda", "cuda:N" or "auto" (the first GPU when this machine has one, else the CPU); throws
// InputError if the device is not available: one line, starting with `subject` (what gave the name:
// "--device NAME" when empty), that says whether CUDA is missing from this LibTorch or only a device
// from this machine. A PrivateUse1 backend registered in this process is taken by its name.
torch::Device parse_device(const std::string& name, const std::string& subject = "");

// The CPU fast paths (our own 2x2 max-pool loops, channels-last pooling, conv_transpose2d for first
// layers' input gradients, the fused Adam step) are taken only for CPU tensors and only while the
// generic paths are not forced: every other device runs the generic tensor code, and forcing it here
// (SANITY_GENERIC_PATHS=1 in the environment, or force_generic_paths) lets the tests on our CPUs
// keep both paths correct.
void force_generic_paths(bool on);
bool generic_paths_forced();
// Whether `t` takes the CPU fast path.
bool cpu_fast_path(const torch::Tensor& t);

// What `sanity --version` prints: sanity's version, the LibTorch it runs on, whether that LibTorch
// has CUDA compiled in and how many CUDA devices it sees.
std::string version_text();

}  // namespace sanity
