// sanity._sanity: the extension module. Errors, models and the registries' listing here; the work
// in explain.cpp (explain, faithfulness, csc) and study.cpp (check, run, report, load).
#include <algorithm>

#include "common.h"

#include "api/listing.h"
#include "api/settings_tables.h"
#include "core/options.h"
#include "core/runtime.h"
#include "models/model_io.h"

namespace sanity::python {

void bind_explain(py::module_& m);
void bind_study(py::module_& m);
void bind_methods(py::module_& m);

namespace {

py::dict option_dict(const Option& o) {
  py::dict d;
  d["key"] = o.key;
  d["type"] = option_type_text(o);
  d["default"] = o.fallback.empty() ? py::object(py::none()) : py::object(py::str(o.fallback));
  d["help"] = o.help;
  d["values"] = o.words;
  return d;
}

// Every entry of one kind: name, summary, how many specs it wraps, options in declaration order.
py::list entries(const std::string& kind) {
  py::list out;
  for (const RegistryEntry* e : api::listing_entries(kind)) {
    py::dict d;
    d["name"] = e->name;
    d["summary"] = e->summary;
    d["wraps"] = e->wrapped;
    d["synopsis"] = entry_synopsis(*e);
    py::list options;
    for (const Option& o : e->options) options.append(option_dict(o));
    d["options"] = options;
    out.append(d);
  }
  return out;
}

// A stored spec as a user writes it: without the options its entry fills in anyway
// ("smoothgrad(gradient)" for smoothgrad(gradient, n=50, ...)), wrapped specs too; a name the
// registry does not know (a method of your own, which has left it) keeps its name alone.
Spec short_spec(const Spec& s, const std::string& kind) {
  Spec out{s.name, {}, {}};
  for (const Spec& inner : s.methods) out.methods.push_back(short_spec(inner, "methods"));
  const RegistryEntry* entry = nullptr;
  for (const RegistryEntry* e : api::listing_entries(kind))
    if (e->name == s.name) entry = e;
  if (!entry) return out;
  for (const auto& [key, value] : s.options) {
    const auto o = std::find_if(entry->options.begin(), entry->options.end(), [&](const Option& x) { return x.key == key; });
    if (o == entry->options.end() || o->fallback != value) out.options[key] = value;
  }
  return out;
}

std::string short_spec_text(const std::string& kind, const std::string& text) {
  if (text.empty()) return text;
  try {
    return short_spec(parse_method_spec(text), kind).str();
  } catch (const InputError&) {  // a spec this version cannot read: as stored
    return text;
  }
}

py::list settings_table(const std::string& name) {
  const api::SettingsTable& t = api::settings_table(name);
  return settings_listing(*t.entries, t.defaults.get());
}

std::shared_ptr<ModelHandle> load(const std::string& spec, uint64_t seed) {
  auto h = std::make_shared<ModelHandle>();
  h->name = spec;
  if (spec != "cnn" && spec != "mlp") h->path = spec;
  py::gil_scoped_release release;
  h->graph = std::make_shared<Graph>(load_model(spec, seed));
  return h;
}

std::shared_ptr<ModelHandle> load_bytes(const py::bytes& bytes, const std::string& name) {
  auto h = std::make_shared<ModelHandle>();
  h->name = name;
  std::string data = bytes;
  py::gil_scoped_release release;
  h->graph = std::make_shared<Graph>(load_onnx_bytes(data, name));
  return h;
}

}  // namespace

}  // namespace sanity::python

PYBIND11_MODULE(_sanity, m) {
  using namespace sanity;
  using namespace sanity::python;
  m.doc() = "sanity's library (src/api) for the Python package `sanity`; use the package, not this module.";
  // The CLI's exit codes 2 and 3 as Python's usual exceptions; subclasses, so `except ValueError` works.
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<UnsupportedError>(m, "UnsupportedError", PyExc_NotImplementedError);
  // As the CLI at start-up: freed activation memory stays in the process (core/runtime.h).
  configure_allocator();

  py::class_<ModelHandle, std::shared_ptr<ModelHandle>>(m, "ModelHandle")
      .def_readonly("name", &ModelHandle::name)
      .def_readonly("path", &ModelHandle::path)
      .def("summary", [](const ModelHandle& h) { return h.graph->summary(); })
      .def("input_shape", [](const ModelHandle& h) { return h.graph->input_spec().shape; })
      .def("layers", [](const ModelHandle& h) {
        std::vector<std::string> names;
        for (int i : h.graph->layers_top_down()) names.push_back(h.graph->node(i).name);
        return names;
      });
  m.def("load_model", &load, py::arg("spec"), py::arg("seed") = 0,
        "An .onnx file, or cnn / mlp (the built-in architectures, untrained, weights from seed).");
  m.def("load_model_bytes", &load_bytes, py::arg("onnx"), py::arg("name"), "A serialized ONNX ModelProto.");
  m.def("entries", &entries, py::arg("kind"), "The registry of methods, rules, composites, metrics or checks.");
  m.def("listing", [](const std::string& kind) { return api::listing(kind); }, py::arg("kind") = "",
        "`sanity list` as text.");
  m.def("short_spec", &short_spec_text, py::arg("kind"), py::arg("spec"));
  m.def("settings", &settings_table, py::arg("name"),
        "A settings table (train, faithfulness, report, verdicts) as [{name, default, type, help}].");
  m.def("max_threads", &max_threads);
  // Where the library reads an array from (its data pointer): the tests' proof of no copy.
  m.def("view_address", [](const py::array& a) { return reinterpret_cast<uintptr_t>(view_of(a, "x").data_ptr()); });
  m.def("version", [] { return std::string(SANITY_VERSION); });
  bind_explain(m);
  bind_study(m);
  bind_methods(m);
}
