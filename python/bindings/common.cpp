#include "common.h"

#include <filesystem>
#include <set>

#include "core/runtime.h"

namespace sanity::python {

using namespace pybind11::literals;

namespace {

// NumPy's dtype as LibTorch's; InputError naming the array for dtypes LibTorch has no equivalent of.
torch::ScalarType scalar_type(const py::dtype& d, const std::string& name) {
  const char kind = d.kind();
  const auto size = d.itemsize();
  if (kind == 'f' && size == 4) return torch::kFloat32;
  if (kind == 'f' && size == 8) return torch::kFloat64;
  if (kind == 'f' && size == 2) return torch::kFloat16;
  if (kind == 'i' && size == 8) return torch::kInt64;
  if (kind == 'i' && size == 4) return torch::kInt32;
  if (kind == 'i' && size == 2) return torch::kInt16;
  if (kind == 'i' && size == 1) return torch::kInt8;
  if (kind == 'u' && size == 1) return torch::kUInt8;
  if (kind == 'b') return torch::kBool;
  throw InputError(name + ": array dtype is " + py::str(py::handle(d)).cast<std::string>() + "; expected float32 (or another numeric type)");
}

nlohmann::json json_value(const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::hasattr(v, "__index__")) return py::int_(py::reinterpret_borrow<py::object>(v)).cast<int64_t>();
  if (py::isinstance<py::float_>(v) || py::hasattr(v, "__float__")) return py::float_(py::reinterpret_borrow<py::object>(v)).cast<double>();
  return py::repr(v).cast<std::string>();
}

}  // namespace

nlohmann::json settings_values(const py::dict& d, const std::vector<const std::vector<Setting>*>& tables,
                               const std::string& function) {
  std::set<std::string> known;
  std::string valid;
  for (const auto* table : tables)
    for (const Setting& s : *table) {
      known.insert(s.flag);
      valid += (valid.empty() ? "" : ", ") + s.flag;
    }
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [key, value] : d) {
    const std::string k = key.cast<std::string>();
    if (!known.count(k)) throw InputError(function + ": unknown argument " + k + "; its settings are " + valid);
    if (!value.is_none()) values[k] = json_value(value);
  }
  return values;
}

py::list settings_listing(const std::vector<Setting>& table, const void* defaults) {
  py::list out;
  for (const Setting& s : table)
    out.append(py::dict("name"_a = s.flag, "default"_a = setting_value_text(s.get(defaults)), "type"_a = s.expected(),
                        "help"_a = s.help));
  return out;
}

Tensor view_of(const py::array& a, const std::string& name) {
  if (!(a.flags() & py::array::c_style) || !a.dtype().attr("isnative").cast<bool>())
    throw std::logic_error(name + ": the package passes C-contiguous arrays in native byte order");
  std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
  // The tensor never writes to the array (the library copies before changing data), so a read-only
  // array is fine.
  return torch::from_blob(const_cast<void*>(a.data()), shape, torch::TensorOptions(scalar_type(a.dtype(), name)));
}

Tensor view_of(const py::dict& d, const char* key, const std::string& name) {
  const py::object o = d[key];
  if (!py::isinstance<py::array>(o)) throw std::logic_error(name + ": the package passes NumPy arrays");
  return view_of(py::reinterpret_borrow<py::array>(o), name);
}

py::array to_numpy(const Tensor& t0) {
  const Tensor t = t0.contiguous();
  py::dtype dtype;
  switch (t.scalar_type()) {
    case torch::kFloat32: dtype = py::dtype::of<float>(); break;
    case torch::kFloat64: dtype = py::dtype::of<double>(); break;
    case torch::kInt64: dtype = py::dtype::of<int64_t>(); break;
    case torch::kInt32: dtype = py::dtype::of<int32_t>(); break;
    case torch::kUInt8: dtype = py::dtype::of<uint8_t>(); break;
    case torch::kBool: dtype = py::dtype::of<bool>(); break;
    default: return to_numpy(t.to(torch::kFloat64));
  }
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(static_cast<py::ssize_t>(s * t.element_size()));
  auto* owned = new Tensor(t);
  const py::capsule owner(owned, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(dtype, shape, strides, t.data_ptr(), owner);
}

void configure_threads_for_call(int threads) { configure_threads(threads); }

CallerThreads::CallerThreads() : threads(torch::get_num_threads()) {}

CallerThreads::~CallerThreads() {
  try {
    configure_threads(threads);
  } catch (const std::exception&) {  // a count the caller set beyond this machine's: left as the call's
  }
}

DataOptions data_options(const py::dict& d) {
  DataOptions o;
  o.spec = get<std::string>(d, "spec", "");
  o.split = get<std::string>(d, "split", o.split);
  o.data_dir = get<std::string>(d, "data_dir", "");
  o.labels = get<std::string>(d, "labels", "");
  o.testbed.count = get<int64_t>(d, "count", o.testbed.count);
  o.testbed.seed = get<uint64_t>(d, "seed", 0);
  o.testbed.balanced = get<bool>(d, "balanced", false);
  o.preprocess.resize = get<int>(d, "resize", o.preprocess.resize);
  o.preprocess.crop = get<int>(d, "crop", o.preprocess.crop);
  o.preprocess.channels = get<int>(d, "channels", o.preprocess.channels);
  api::apply_preprocess(o, get<bool>(d, "imagenet", false), get<std::vector<double>>(d, "mean", {}),
                        get<std::vector<double>>(d, "std", {}));
  return o;
}

Inputs load_inputs(const py::dict& d) {
  Inputs in;
  if (!d.contains("images")) {
    in.options = data_options(d);
    in.loaded = load_data(in.options);
    return in;
  }
  in.in_memory = true;
  const std::string name = get<std::string>(d, "name", "x");
  in.options.spec = name;
  in.options.testbed.count = 0;
  in.options.testbed.seed = get<uint64_t>(d, "seed", 0);
  const Tensor images = view_of(d, "images", name);
  const Tensor labels = get<py::object>(d, "labels", py::none()).is_none()
                            ? Tensor()
                            : view_of(d, "labels", get<std::string>(d, "labels_name", "labels"));
  in.loaded.data = dataset_from_arrays(name, images, labels, get<std::string>(d, "labels_name", "labels"));
  in.loaded.ids = torch::arange(in.loaded.data.size(), torch::kInt64);
  in.loaded.data.content = dataset_content(in.loaded.data, in.loaded.ids);
  return in;
}

api::FitContext fit_context(const py::dict& fit, const Inputs& inputs, const ModelHandle& model,
                            const std::vector<MethodSpec>& specs) {
  if (fit.contains("fit_images") && !fit["fit_images"].is_none()) {
    api::FitContext c;
    c.data = dataset_from_arrays("fit", view_of(fit, "fit_images", "fit"));
    c.data.content = dataset_content(c.data);
    if (!model.path.empty()) c.cache_dir = std::filesystem::absolute(model.path).parent_path().string();
    return c;
  }
  api::FitSource source;
  source.data = get<std::string>(fit, "fit_data", "");
  source.count = get<int64_t>(fit, "fit_count", source.count);
  return api::load_fit_context(source, inputs.options, model.path.empty() ? model.name : model.path, specs);
}

Prepared prepare(const py::dict& data, const py::dict& fit, const ModelHandle& model,
                 const std::vector<MethodSpec>& specs) {
  Prepared p;
  p.in = load_inputs(data);
  p.fit = fit_context(fit, p.in, model, specs);
  p.data_name = p.in.in_memory ? p.in.options.spec : "--data " + p.in.options.spec;
  p.seed = p.in.options.testbed.seed;
  return p;
}

void PythonHook::call(const char* method, const std::function<void(py::object&)>& f) {
  py::gil_scoped_acquire acquire;
  if (bar_.is_none()) return;
  try {
    f(bar_);
  } catch (py::error_already_set& e) {
    error_ = std::move(e);
    throw Interrupted(std::string("progress bar ") + method + " raised");
  }
}

void PythonHook::start(const std::string& label, int64_t total) {
  call("start", [&](py::object& bar) { bar.attr("start")(label, total); });
}

void PythonHook::update(int64_t done, int64_t total, const std::string& status) {
  call("update", [&](py::object& bar) { bar.attr("update")(done, total, status); });
}

void PythonHook::end(bool completed) {
  py::gil_scoped_acquire acquire;
  if (bar_.is_none()) return;
  try {
    bar_.attr("end")(completed);
  } catch (py::error_already_set& e) {
    if (!error_) error_ = std::move(e);  // raised when the call returns; end() itself must not throw
  }
}

void PythonHook::poll() {
  const auto now = std::chrono::steady_clock::now();
  if (!error_ && now - last_poll_ < kPollInterval) return;
  last_poll_ = now;
  py::gil_scoped_acquire acquire;
  if (!error_ && PyErr_CheckSignals() == 0) return;
  if (!error_) error_ = py::error_already_set();  // KeyboardInterrupt from Ctrl-C, or what a handler raised
  throw Interrupted("interrupted");
}

void PythonHook::raise() {
  if (!error_) throw Interrupted("interrupted");
  py::error_already_set e = std::move(*error_);
  error_.reset();
  throw e;
}

std::shared_ptr<const Graph> model_on_device(const ModelHandle& m, const py::dict& request) {
  const torch::Device device = parse_device(get<std::string>(request, "device", "cpu"));
  if (device == m.graph->device()) return m.graph;
  auto copy = std::make_shared<Graph>(m.graph->clone());
  copy->to(device);
  return copy;
}

Precision precision_of(const py::dict& request, const Graph& model) {
  return parse_precision(get<std::string>(request, "precision", "float32"), model.device());
}

}  // namespace sanity::python
