#pragma once
// The arithmetic of the attribution passes and of training: float32 (the default and the reference)
// or a faster, lower precision where the hardware has one. docs/GPU.md gives how far each agrees
// with float32 (maps, stored scores, verdicts).
#include <ATen/Context.h>
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace sanity {

enum class Precision {
  kFloat32,  // IEEE float32 throughout, also in cuDNN's convolutions (PyTorch lets those use TF32)
  kTF32,     // CUDA only: float32 tensors; convolutions and matrix products on TF32 tensor cores
  kBF16,     // autocast: convolutions and matrix products in bfloat16, reductions in float32
};

// "float32", "tf32" or "bf16" for work on `device`. InputError, one line starting with `subject`
// ("--precision NAME" when empty), for another name, for tf32 off CUDA, and for bf16 on a CPU
// without bfloat16 arithmetic (AVX512-BF16 or AMX): there autocast would emulate it, slower than
// float32 and no more faithful.
Precision parse_precision(const std::string& name, torch::Device device, const std::string& subject = "");
std::string to_string(Precision p);

// Whether this CPU computes in bfloat16 natively: AVX512-BF16 or AMX-BF16.
bool cpu_has_bf16();

// The arithmetic that passes on a device of `type` run in now: the calling thread's autocast state
// and, on CUDA, whether convolutions and matrix products may use TF32. Values computed under two
// different keys differ by more than the batch plan allows (models/activation_reuse.h keeps them
// apart).
uint32_t arithmetic_key(c10::DeviceType type);

// Runs the passes within its lifetime at `p` on `device`'s type and restores the previous state
// when it ends (the state is the calling thread's for autocast, the process's for TF32). Nested
// scopes are allowed; PyTorch's autocast weight cache is cleared when the outermost one ends.
class PrecisionScope {
 public:
  PrecisionScope(Precision p, torch::Device device);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  c10::DeviceType type_;
  bool autocast_was_;
  c10::ScalarType autocast_dtype_was_;
  at::Float32Precision matmul_was_, conv_was_;  // CUDA's, restored as they were (NONE: inherited)
};

// float32 for every pass outside a PrecisionScope (targets, metrics, perturbed inputs), for its
// lifetime, then the caller's state again: autocast off on the CPU, CUDA and a registered PrivateUse1
// backend (a Python user's torch.autocast region must not reach them), and IEEE float32 in cuBLAS
// and cuDNN (whose convolutions PyTorch lets use TF32). Held by each Python call and by `sanity`'s
// main for the whole process.
class Float32Region {
 public:
  Float32Region();
  ~Float32Region();
  Float32Region(const Float32Region&) = delete;
  Float32Region& operator=(const Float32Region&) = delete;

 private:
  std::vector<std::pair<c10::DeviceType, bool>> autocast_was_;
  at::Float32Precision matmul_was_, conv_was_;
};

}  // namespace sanity
