#pragma once
// Process-wide runtime settings: thread count and device.
#include <torch/types.h>

#include <string>

namespace sanity {

// Sets LibTorch's intra-op threads; n <= 0 means all cores (LibTorch here defaults to one).
// Returns the number of threads in use.
int configure_threads(int n);

// "cpu", "cuda" or "cuda:N"; throws InputError if the device is not available.
torch::Device parse_device(const std::string& name);

}  // namespace sanity
