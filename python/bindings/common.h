#pragma once
// python/bindings: the extension module sanity._sanity, a thin layer over the library API (src/api)
// that the package python/sanity calls. Arguments arrive already checked for type by the package;
// everything about their values is checked by the library, which raises the CLI's one-line errors
// (InputError -> ValueError, UnsupportedError -> NotImplementedError).
//
// What every call shares: NumPy arrays as tensors without copies, tensors back as NumPy arrays
// without copies, models held between calls, and Compute, which runs library work with the GIL
// released, a Python progress bar, and Ctrl-C turned into KeyboardInterrupt between units of work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/inputs.h"
#include "core/error.h"
#include "core/precision.h"
#include "core/settings.h"
#include "core/progress.h"
#include "data/load.h"
#include "models/graph.h"

namespace sanity::python {

namespace py = pybind11;

// d[key] as T, or `fallback` when the key is missing or None (the package passes None for "default").
template <class T>
T get(const py::dict& d, const char* key, T fallback) {
  if (!d.contains(key) || d[key].is_none()) return fallback;
  return d[key].cast<T>();
}

// The values `d` gives for the settings of `tables` (core/settings.h), by flag name, None left out:
// Python's bool, int (NumPy's too), float and str as JSON, anything else as its repr (which the
// table then refuses, naming the argument). A key of `d` no table knows is an InputError naming
// `function` and the valid arguments.
nlohmann::json settings_values(const py::dict& d, const std::vector<const std::vector<Setting>*>& tables,
                               const std::string& function);
// One table as Python sees it: [{"name", "default", "type", "help"}], for generated signatures and help.
py::list settings_listing(const std::vector<Setting>& table, const void* defaults);

// A C-contiguous NumPy array in native byte order (the package makes it so: np.ascontiguousarray)
// as a tensor on its memory; `name` names it in errors. The array must outlive the tensor: callers
// keep it for the call.
Tensor view_of(const py::array& a, const std::string& name);
// The same for d[key], which must be a NumPy array (not something cast to a new one, which would die
// with the statement).
Tensor view_of(const py::dict& d, const char* key, const std::string& name);
// A tensor as a NumPy array on the same memory (made contiguous first if it is not), which keeps the
// tensor alive.
py::array to_numpy(const Tensor& t);

// A model loaded once and used by many calls (sanity.Model holds one).
struct ModelHandle {
  std::shared_ptr<Graph> graph;
  std::string name;  // the path, "cnn" / "mlp", or what the package calls bytes ("<onnx bytes>")
  std::string path;  // the .onnx file when it came from one (pattern methods keep fits beside it)
};

// The handle's model on the request's "device" (cpu, cuda, cuda:N, auto; default cpu): the handle's
// own graph on the CPU, else a copy there (the caller's model stays where it is).
std::shared_ptr<const Graph> model_on_device(const ModelHandle& m, const py::dict& request);
// request["precision"] (default float32) for work on `model`'s device; InputError as --precision's.
Precision precision_of(const py::dict& request, const Graph& model);

// The test bed of a call: images in memory (dict keys "images", "labels", "name") or a data spec as
// the CLI's --data and its options ("spec", "split", "count", "seed", "balanced", "labels", "resize",
// "crop", "channels", "mean", "std", "imagenet", "data_dir"). The arrays' memory is shared.
struct Inputs {
  LoadedData loaded;
  DataOptions options;  // for a spec; for arrays, spec = the array's name and count 0
  bool in_memory = false;
};
Inputs load_inputs(const py::dict& data);
DataOptions data_options(const py::dict& data);

// Training images of pattern methods: an array ("fit_images"), a data spec ("fit_data", as --fit-data)
// or, for a built-in dataset, its train split; "fit_count" of them.
api::FitContext fit_context(const py::dict& fit, const Inputs& inputs, const ModelHandle& model,
                            const std::vector<MethodSpec>& specs);

// What explain, faithfulness and csc share before their work: the test bed, the training images of
// pattern methods, and how errors name the data ("x" for an array, "--data SPEC" for a spec).
struct Prepared {
  Inputs in;
  api::FitContext fit;
  std::string data_name;
  uint64_t seed = 0;  // of noise-based methods: the test bed's
  // Points a request's fit and data_name here.
  template <class Request>
  void attach(Request& r) const {
    r.fit = &fit;
    r.data_name = data_name;
  }
};
Prepared prepare(const py::dict& data, const py::dict& fit, const ModelHandle& model,
                 const std::vector<MethodSpec>& specs);

// A ProgressHook for the call's thread: forwards the library's bars to `bar` (a Python object with
// start(label, total), update(done, total, status) and end(completed), or None), and at every
// interruption point runs Python's signal handlers, so that Ctrl-C raises KeyboardInterrupt there.
// A Python exception on the way (the interrupt, an error in the bar) stops the work with
// sanity::Interrupted and is raised again by Compute.
class PythonHook : public ProgressHook {
 public:
  explicit PythonHook(py::object bar) : bar_(std::move(bar)) {}
  void start(const std::string& label, int64_t total) override;
  void update(int64_t done, int64_t total, const std::string& status) override;
  void end(bool completed) override;
  void poll() override;
  // Keeps `e` (Ctrl-C inside a Python method) to be raised when the work has stopped.
  void hold(py::error_already_set e) { error_ = std::move(e); }
  bool draws() const override { return !bar_.is_none(); }  // None: the library's bar on stderr
  // Raises the stored Python exception (with the GIL held).
  [[noreturn]] void raise();
  // The same when there is one (a bar that failed at the end of work that finished).
  void raise_if_failed() {
    if (error_) raise();
  }

 private:
  void call(const char* method, const std::function<void(py::object&)>& f);
  py::object bar_;
  std::optional<py::error_already_set> error_;
  // Signals are looked at every kPollInterval at most: taking the GIL waits for a busy Python thread.
  static constexpr std::chrono::milliseconds kPollInterval{20};
  std::chrono::steady_clock::time_point last_poll_{};
};

// LibTorch's intra-op threads for the call: 0 all cores (as the CLI), else 1..max_threads().
void configure_threads_for_call(int threads);
// The caller's thread count, given back when a call ends: LibTorch's setting is the process's, so
// without this a call would change what the caller's own torch code runs on.
struct CallerThreads {
  CallerThreads();
  ~CallerThreads();
  CallerThreads(const CallerThreads&) = delete;
  CallerThreads& operator=(const CallerThreads&) = delete;
  int threads;
};

// Runs f(hook) with the GIL released, `threads` LibTorch threads (0: all cores, as the CLI) and a
// PythonHook on `bar`, and returns what it returns; Ctrl-C during f raises KeyboardInterrupt once f
// has stopped at its next interruption point. f returns C++ values only (Python objects are built
// from them after, with the GIL); it reports progress through the hook.
template <class F>
auto compute(int threads, py::object bar, F&& f) -> decltype(f(std::declval<PythonHook&>())) {
  const CallerThreads restore;
  const Float32Region float32;  // a torch.autocast around the call reaches only what precision= says
  configure_threads_for_call(threads);
  PythonHook hook(std::move(bar));
  try {
    auto result = [&] {
      py::gil_scoped_release release;
      const ScopedProgressHook scope(&hook);
      return f(hook);
    }();
    hook.raise_if_failed();
    return result;
  } catch (const Interrupted&) {
    hook.raise();
  }
}

}  // namespace sanity::python
