#include "core/precision.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <ATen/cpu/Utils.h>

#include "core/error.h"

namespace sanity {

namespace {

using at::Float32Backend;
using at::Float32Op;
using at::Float32Precision;

bool capability(const std::unordered_map<std::string, c10::IValue>& caps, const char* name) {
  const auto it = caps.find(name);
  return it != caps.end() && it->second.isBool() && it->second.toBool();
}

// PyTorch's autocast keeps one cast copy of each weight per region; a scope that ended must not
// leave them behind (they would outlive the model and mask a change of its weights).
thread_local int scope_depth = 0;

}  // namespace

bool cpu_has_bf16() {
  static const bool has = [] {
    const auto caps = at::cpu::get_cpu_capabilities();
    return capability(caps, "avx512_bf16") || capability(caps, "amx_bf16");
  }();
  return has;
}

uint32_t arithmetic_key(c10::DeviceType type) {
  uint32_t key = at::autocast::is_autocast_enabled(type)
                     ? 1 + static_cast<uint32_t>(at::autocast::get_autocast_dtype(type))
                     : 0;
  if (type == c10::DeviceType::CUDA) {
    const auto& ctx = at::globalContext();
    key = key * 8 + static_cast<uint32_t>(ctx.float32Precision(Float32Backend::CUDA, Float32Op::CONV));
    key = key * 8 + static_cast<uint32_t>(ctx.float32Precision(Float32Backend::CUDA, Float32Op::MATMUL));
  }
  return key;
}

std::string to_string(Precision p) {
  switch (p) {
    case Precision::kTF32: return "tf32";
    case Precision::kBF16: return "bf16";
    default: return "float32";
  }
}

Precision parse_precision(const std::string& name, torch::Device device, const std::string& subject) {
  const std::string head = (subject.empty() ? "--precision " + name : subject) + ": ";
  if (name == "float32") return Precision::kFloat32;
  if (name == "tf32") {
    if (!device.is_cuda())
      throw InputError(head + "TF32 is a CUDA tensor-core format; on " + device.str() + " use float32 or bf16");
    return Precision::kTF32;
  }
  if (name == "bf16") {
    if (device.is_cpu() && !cpu_has_bf16())
      throw InputError(head + "this CPU has no bfloat16 arithmetic (AVX512-BF16 or AMX): use float32");
    return Precision::kBF16;
  }
  throw InputError(head + "expected float32, tf32 or bf16");
}

PrecisionScope::PrecisionScope(Precision p, torch::Device device)
    : type_(device.type()),
      autocast_was_(at::autocast::is_autocast_enabled(type_)),
      autocast_dtype_was_(at::autocast::get_autocast_dtype(type_)) {
  auto& ctx = at::globalContext();
  matmul_was_ = ctx.float32Precision(Float32Backend::CUDA, Float32Op::MATMUL);
  conv_was_ = ctx.float32Precision(Float32Backend::CUDA, Float32Op::CONV);
  ++scope_depth;
  at::autocast::set_autocast_enabled(type_, p == Precision::kBF16);
  if (p == Precision::kBF16) at::autocast::set_autocast_dtype(type_, at::kBFloat16);
  if (device.is_cuda()) {  // float32 means IEEE float32 in cuDNN too, where PyTorch's default is TF32
    const Float32Precision f = p == Precision::kTF32 ? Float32Precision::TF32 : Float32Precision::IEEE;
    ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::MATMUL, f);
    ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::CONV, f);
  }
}

PrecisionScope::~PrecisionScope() {
  at::autocast::set_autocast_enabled(type_, autocast_was_);
  at::autocast::set_autocast_dtype(type_, autocast_dtype_was_);
  if (type_ == c10::DeviceType::CUDA) {
    auto& ctx = at::globalContext();
    ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::MATMUL, matmul_was_);
    ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::CONV, conv_was_);
  }
  if (--scope_depth == 0) at::autocast::clear_cache();
}

Float32Region::Float32Region() {
  std::vector<c10::DeviceType> types{c10::DeviceType::CPU, c10::DeviceType::CUDA};
  if (c10::is_privateuse1_backend_registered()) types.push_back(c10::DeviceType::PrivateUse1);
  for (const c10::DeviceType t : types) {
    autocast_was_.emplace_back(t, at::autocast::is_autocast_enabled(t));
    at::autocast::set_autocast_enabled(t, false);
  }
  auto& ctx = at::globalContext();
  matmul_was_ = ctx.float32Precision(Float32Backend::CUDA, Float32Op::MATMUL);
  conv_was_ = ctx.float32Precision(Float32Backend::CUDA, Float32Op::CONV);
  ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::MATMUL, Float32Precision::IEEE);
  ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::CONV, Float32Precision::IEEE);
}

Float32Region::~Float32Region() {
  for (const auto& [type, enabled] : autocast_was_) at::autocast::set_autocast_enabled(type, enabled);
  auto& ctx = at::globalContext();
  ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::MATMUL, matmul_was_);
  ctx.setFloat32Precision(Float32Backend::CUDA, Float32Op::CONV, conv_was_);
}

}  // namespace sanity
