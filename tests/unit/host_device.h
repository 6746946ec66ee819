#pragma once
// A second device for machines without a GPU: LibTorch's PrivateUse1 backend, named "hostgpu",
// whose memory is host memory and whose every operator runs through LibTorch's CPU fallback. It
// behaves like an accelerator where it matters to device-generic code: a tensor on it is not a CPU
// tensor, and it records what a real GPU would refuse or pay for:
//   - mixed: an operator given a CPU tensor (other than a 0-dim scalar) beside hostgpu tensors: on a
//     GPU, "Expected all tensors to be on the same device";
//   - to_host / to_host_bytes: copies from hostgpu to the CPU (results leaving the device);
//   - host_reads: item() and friends (a synchronizing read of one value).
// Include it in one test program only (it registers kernels at load time).
#include <ATen/EmptyTensor.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/PrivateUse1HooksInterface.h>
#include <ATen/native/CPUFallback.h>
#include <ATen/record_function.h>
#include <ATen/ops/_reshape_alias_native.h>
#include <ATen/ops/as_strided_native.h>
#include <ATen/ops/unfold_native.h>
#include <ATen/ops/view_native.h>
#include <c10/core/DeviceType.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

namespace sanity::test::host_device {

struct Record {
  std::mutex m;
  std::set<std::string> mixed;  // "op: argument k is a CPU tensor of shape [...]"
  // While watching: operators that computed on CPU tensors of more than kHostElements elements
  // outside the fallback and outside SANITY_HOST_PHASE scopes ("op [shape]"): work of the pipeline
  // done on the host, not the device.
  std::set<std::string> host_compute;
  std::atomic<bool> watching{false};
  std::atomic<int64_t> to_host{0}, to_host_bytes{0}, to_device{0}, host_reads{0}, ops{0};
  void clear() {
    std::lock_guard<std::mutex> l(m);
    mixed.clear();
    host_compute.clear();
    to_host = to_host_bytes = to_device = host_reads = ops = 0;
  }
};

inline Record& record() {
  static Record r;
  return r;
}

inline torch::Device device() { return torch::Device(c10::DeviceType::PrivateUse1, 0); }

namespace detail {

// The fallback copies its arguments to the CPU and back: those copies are its own, not the program's.
inline thread_local bool in_fallback = false;

struct Allocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override {
    void* p = c10::alloc_cpu(n);
    return {p, p, &release, device()};
  }
  static void release(void* p) { c10::free_cpu(p); }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  void copy_data(void* dest, const void* src, std::size_t n) const override { std::memcpy(dest, src, n); }
};

inline Allocator& allocator() {
  static Allocator a;
  return a;
}

struct Guard final : c10::impl::DeviceGuardImplInterface {
  c10::DeviceType type() const override { return c10::DeviceType::PrivateUse1; }
  c10::Device exchangeDevice(c10::Device) const override { return device(); }
  c10::Device getDevice() const override { return device(); }
  void setDevice(c10::Device) const override {}
  void uncheckedSetDevice(c10::Device) const noexcept override {}
  c10::Stream getStream(c10::Device d) const override { return c10::Stream(c10::Stream::DEFAULT, d); }
  c10::Stream exchangeStream(c10::Stream s) const override { return s; }
  c10::DeviceIndex deviceCount() const noexcept override { return 1; }
};

// What LibTorch asks an accelerator once one is registered (the autograd engine, pinned memory).
struct Hooks final : at::PrivateUse1HooksInterface {
  bool isBuilt() const override { return true; }
  bool isAvailable() const override { return true; }
  bool hasPrimaryContext(c10::DeviceIndex) const override { return true; }
  c10::DeviceIndex deviceCount() const override { return 1; }
  c10::DeviceIndex getCurrentDevice() const override { return 0; }
  at::Device getDeviceFromPtr(void*) const override { return device(); }
  bool isPinnedPtr(const void*) const override { return false; }
  c10::Allocator* getPinnedMemoryAllocator() const override { return c10::GetAllocator(c10::DeviceType::CPU); }
  const at::Generator& getDefaultGenerator(c10::DeviceIndex) const override { return at::detail::getDefaultCPUGenerator(); }
};

// A CPU tensor over the same memory (no copy).
inline at::Tensor host_view(const at::Tensor& t) {
  if (t.device().is_cpu()) return t;
  return at::from_blob(t.data_ptr(), t.sizes(), t.strides(), [keep = t](void*) {}, t.options().device(torch::kCPU));
}

inline at::Tensor empty(c10::IntArrayRef size, std::optional<at::ScalarType> dtype, std::optional<at::Layout>,
                        std::optional<at::Device>, std::optional<bool>, std::optional<at::MemoryFormat> format) {
  return at::detail::empty_generic(size, &allocator(), c10::DispatchKeySet(c10::DispatchKey::PrivateUse1),
                                   c10::dtype_or_default(dtype), format);
}

inline at::Tensor empty_strided(c10::IntArrayRef size, c10::IntArrayRef stride, std::optional<at::ScalarType> dtype,
                                std::optional<at::Layout>, std::optional<at::Device>, std::optional<bool>) {
  return at::detail::empty_strided_generic(size, stride, &allocator(),
                                           c10::DispatchKeySet(c10::DispatchKey::PrivateUse1),
                                           c10::dtype_or_default(dtype));
}

inline const at::Tensor& resize(const at::Tensor& self, c10::IntArrayRef size, std::optional<at::MemoryFormat>) {
  const size_t need = static_cast<size_t>((self.storage_offset() + c10::multiply_integers(size)) * self.itemsize());
  c10::StorageImpl* s = self.storage().unsafeGetStorageImpl();
  if (s->nbytes() < need) {
    c10::DataPtr fresh = allocator().allocate(need);
    if (s->nbytes() > 0) std::memcpy(fresh.get(), s->data(), s->nbytes());
    s->set_data_ptr_noswap(std::move(fresh));
    s->set_nbytes(need);
  }
  self.unsafeGetTensorImpl()->set_sizes_contiguous(size);
  return self;
}

inline at::Tensor copy_from(const at::Tensor& self, const at::Tensor& dst, bool) {
  if (!in_fallback && dst.device().is_cpu() && !self.device().is_cpu()) {
    ++record().to_host;
    record().to_host_bytes += static_cast<int64_t>(self.nbytes());
  }
  if (!in_fallback && self.device().is_cpu() && !dst.device().is_cpu()) ++record().to_device;
  host_view(dst).copy_(host_view(self));
  return dst;
}

inline at::Tensor copy_from_and_resize(const at::Tensor& self, const at::Tensor& dst) {
  if (dst.sizes() != self.sizes()) dst.resize_(self.sizes());
  return copy_from(self, dst, false);
}

// Convolutions of backends other than the CPU and CUDA reach these two "overrideable" operators.
struct FallbackScope {
  bool outer = !in_fallback;
  FallbackScope() { in_fallback = true; }
  ~FallbackScope() {
    if (outer) in_fallback = false;
  }
};

inline at::Tensor on_device(const at::Tensor& t) { return t.defined() ? t.to(device()) : t; }

inline at::Tensor convolution(const at::Tensor& x, const at::Tensor& w, const std::optional<at::Tensor>& b,
                              c10::IntArrayRef stride, c10::IntArrayRef pad, c10::IntArrayRef dilation, bool transposed,
                              c10::IntArrayRef out_pad, int64_t groups) {
  ++record().ops;
  FallbackScope scope;
  const std::optional<at::Tensor> hb = b && b->defined() ? std::optional<at::Tensor>(host_view(*b)) : std::nullopt;
  return on_device(at::convolution(host_view(x), host_view(w), hb, stride, pad, dilation, transposed, out_pad, groups));
}

inline std::tuple<at::Tensor, at::Tensor, at::Tensor> convolution_backward(
    const at::Tensor& g, const at::Tensor& x, const at::Tensor& w, c10::IntArrayRef stride, c10::IntArrayRef pad,
    c10::IntArrayRef dilation, bool transposed, c10::IntArrayRef out_pad, int64_t groups, std::array<bool, 3> mask) {
  ++record().ops;
  FallbackScope scope;
  const int64_t bias = transposed ? w.size(1) * groups : w.size(0);
  auto [gx, gw, gb] = at::convolution_backward(host_view(g), host_view(x), host_view(w), std::vector<int64_t>{bias},
                                               stride, pad, dilation, transposed, out_pad, groups, mask);
  return {on_device(gx), on_device(gw), on_device(gb)};
}

inline void note_mixed(const c10::OperatorHandle& op, size_t k, const at::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || t.dim() == 0) return;
  std::lock_guard<std::mutex> l(record().m);
  record().mixed.insert(op.schema().name() + ": argument " + std::to_string(k) + " is a CPU tensor of shape " +
                        c10::str(t.sizes()));
}

inline void fallback(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const size_t n = op.schema().arguments().size();
  const auto args = torch::jit::last(*stack, n);
  for (size_t k = 0; k < n; ++k) {
    if (args[k].isTensor()) note_mixed(op, k, args[k].toTensor());
    if (args[k].isTensorList())
      for (const at::Tensor& t : args[k].toTensorVector()) note_mixed(op, k, t);
  }
  ++record().ops;
  if (op.schema().name() == "aten::_local_scalar_dense" && !in_fallback) ++record().host_reads;
  const bool outer = !in_fallback;
  in_fallback = true;
  try {
    at::native::cpu_fallback(op, stack, /*error_on_views=*/true);
  } catch (...) {
    if (outer) in_fallback = false;
    throw;
  }
  if (outer) in_fallback = false;
}

}  // namespace detail

// Larger than any per-image score row of a test: a map, a batch or a weight.
inline constexpr int64_t kHostElements = 256;

namespace detail {

// Moving, viewing and allocating: what writing a result to the host does; not computation. And random
// draws: sanity draws every random number on the host from its seeded generators (core/rng.h), so
// that every device gets the same numbers, and moves them to the device.
inline bool moves_data(const std::string& op) {
  static const std::set<std::string> ops{"aten::to", "aten::_to_copy", "aten::copy_", "aten::_copy_from",
                                         "aten::_copy_from_and_resize", "aten::_to_cpu", "aten::normal_",
                                         "aten::uniform_", "aten::randperm", "aten::random_", "aten::bernoulli_", "aten::empty", "aten::empty_like",
                                         "aten::empty_strided", "aten::detach", "detach", "aten::contiguous", "aten::clone",
                                         "aten::view", "aten::reshape", "aten::_reshape_alias", "aten::narrow",
                                         "aten::slice", "aten::select", "aten::as_strided", "aten::alias",
                                         "aten::lift_fresh", "aten::_local_scalar_dense", "aten::item",
                                         "aten::resize_", "aten::set_", "aten::squeeze", "aten::unsqueeze",
                                         "aten::flatten", "aten::expand", "aten::permute", "aten::t",
                                         "aten::transpose", "aten::_unsafe_view", "aten::unbind"};
  return ops.count(op) > 0;
}

// Depth of SANITY_HOST_PHASE scopes (core/runtime.h) on this thread: host work by design, not recorded.
inline thread_local int host_phases = 0;
struct HostPhase : at::ObserverContext {};

inline std::unique_ptr<at::ObserverContext> on_operator(const at::RecordFunction& fn) {
  if (fn.scope() == at::RecordScope::USER_SCOPE && std::string_view(fn.name()).rfind("sanity::host ", 0) == 0) {
    ++host_phases;
    return std::make_unique<HostPhase>();
  }
  if (!record().watching || in_fallback || host_phases > 0 || moves_data(fn.name())) return nullptr;
  for (const c10::IValue& v : fn.inputs()) {
    if (!v.isTensor()) continue;
    const at::Tensor& t = v.toTensor();
    if (!t.defined() || !t.device().is_cpu() || t.numel() <= kHostElements) continue;
    std::lock_guard<std::mutex> l(record().m);
    record().host_compute.insert(std::string(fn.name()) + " " + c10::str(t.sizes()));
    break;
  }
  return nullptr;
}

inline void on_operator_end(const at::RecordFunction&, at::ObserverContext* phase) {
  if (phase) --host_phases;
}

}  // namespace detail

// Records host computation (Record::host_compute) until stop_watching(); the callback sees every
// operator's inputs, so only the parts under test are watched.
inline void watch() {
  static const bool added = [] {
    at::addGlobalCallback(at::RecordFunctionCallback(&detail::on_operator, &detail::on_operator_end).needsInputs(true));
    return true;
  }();
  (void)added;
  record().watching = true;
}
inline void stop_watching() { record().watching = false; }

// Registers the backend once; call before using device().
inline void install() {
  static const bool done = [] {
    c10::register_privateuse1_backend("hostgpu");
    c10::SetAllocator(c10::DeviceType::PrivateUse1, &detail::allocator());
    static detail::Guard guard;
    static c10::impl::DeviceGuardImplRegistrar registrar(c10::DeviceType::PrivateUse1, &guard);
    static detail::Hooks hooks;
    at::RegisterPrivateUse1HooksInterface(&hooks);
    return true;
  }();
  (void)done;
}

}  // namespace sanity::test::host_device

TORCH_LIBRARY_IMPL(aten, PrivateUse1, m) {
  using namespace sanity::test::host_device::detail;
  m.impl("empty.memory_format", &empty);
  m.impl("empty_strided", &empty_strided);
  m.impl("as_strided", &at::native::as_strided_tensorimpl);
  m.impl("view", &at::native::view);
  m.impl("_reshape_alias", &at::native::_reshape_alias);
  m.impl("unfold", &at::native::unfold);
  m.impl("resize_", &resize);
  m.impl("_copy_from", &copy_from);
  m.impl("_copy_from_and_resize", &copy_from_and_resize);
  m.impl("convolution_overrideable", &convolution);
  m.impl("convolution_backward_overrideable", &convolution_backward);
}

TORCH_LIBRARY_IMPL(_, PrivateUse1, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&sanity::test::host_device::detail::fallback>());
}
