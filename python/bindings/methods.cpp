// Python functions as attribution methods (attribution/callable_method.h). The package
// (python/sanity/_methods.py) turns a user's function, Captum attribution or Zennit composite into a
// bridge(params, x, targets, logits) that builds the model state as a torch module and returns
// float32 maps; here the bridge is registered under the method's name and called, with the GIL, from
// inside the work.
#include "attribution/callable_method.h"
#include "common.h"

namespace sanity::python {
namespace {

// The model state's parameters in node order (Graph::nodes, each layer's params), as arrays on the
// tensors' memory: valid during the call, in which the package copies them into its module.
py::list parameters_of(const Graph& g) {
  py::list out;
  for (const Node& n : g.nodes())
    if (n.layer)
      for (const Param& p : n.layer->params()) out.append(to_numpy(p.value.detach()));
  return out;
}

// The engine's logits of the model state for an input batch: what the module the package builds
// must reproduce (the tests compare them; `engine=True` hands them to the user's function).
py::cpp_function logits_of(const Graph& g) {
  return py::cpp_function([&g](const py::array& x) {
    const Tensor in = view_of(x, "x");
    Tensor out;
    {
      py::gil_scoped_release release;
      torch::NoGradGuard no_grad;
      out = g.forward(in);
    }
    return to_numpy(out);
  });
}

// A Python exception out of the bridge as the library's error. The bridge raises sanity's own
// InputError naming the method (the user's exception's type and message inside); Ctrl-C is kept by
// the call's hook and stops the work at once.
[[noreturn]] void rethrow(py::error_already_set& e, const std::string& name) {
  if (e.matches(PyExc_KeyboardInterrupt)) {
    if (auto* hook = dynamic_cast<PythonHook*>(current_progress_hook())) hook->hold(std::move(e));
    throw Interrupted("interrupted in method " + name);
  }
  if (e.matches(PyExc_NotImplementedError)) throw UnsupportedError(py::str(e.value()).cast<std::string>());
  if (e.matches(PyExc_ValueError)) throw InputError(py::str(e.value()).cast<std::string>());
  throw InputError("method " + name + ": " + py::str(e.type().attr("__name__")).cast<std::string>() + ": " +
                   py::str(e.value()).cast<std::string>());
}

MapFunction call_bridge(std::shared_ptr<py::function> bridge, std::string name) {
  return [bridge = std::move(bridge), name = std::move(name)](const Graph& g, const Tensor& x, const Tensor& t) {
    py::gil_scoped_acquire gil;
    try {
      const py::object maps = (*bridge)(parameters_of(g), to_numpy(x), to_numpy(t), logits_of(g));
      return view_of(py::cast<py::array>(maps), "maps").clone();
    } catch (py::error_already_set& e) {
      rethrow(e, name);
    }
  };
}

// kind: "relevance" or "sensitivity" (the package checks it); batch_size 0: the work's.
std::unique_ptr<ScopedMethod> register_method(const std::string& name, const std::string& summary,
                                              const std::string& version, const std::string& kind,
                                              int64_t batch_size, const py::function& bridge) {
  CallableMethodDef d;
  d.name = name;
  d.summary = summary;
  d.version = version;
  d.kind = kind == "sensitivity" ? MapKind::Sensitivity : MapKind::Relevance;
  d.batch_size = batch_size;
  // The function may be released on a thread without the GIL (the last method of a check dies there).
  auto held = std::shared_ptr<py::function>(new py::function(bridge), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  d.maps = call_bridge(std::move(held), name);
  return std::make_unique<ScopedMethod>(std::move(d));
}

// Every parameter of the model in node order: (node, module path, parameter name, array). The
// package matches them with its torch module's parameters and buffers once per call.
py::list graph_parameters(const ModelHandle& h) {
  py::list out;
  for (const Node& n : h.graph->nodes())
    if (n.layer)
      for (const Param& p : n.layer->params())
        out.append(py::make_tuple(n.name, n.path, p.name, to_numpy(p.value.detach())));
  return out;
}

}  // namespace

void bind_methods(py::module_& m) {
  py::class_<ScopedMethod>(m, "MethodRegistration")
      .def_property_readonly("name", &ScopedMethod::name)
      .def("close", &ScopedMethod::close);
  m.def("register_method", &register_method, py::arg("name"), py::arg("summary"), py::arg("version"),
        py::arg("kind"), py::arg("batch_size"), py::arg("bridge"));
  m.def("graph_parameters", &graph_parameters, py::arg("model"));
}

}  // namespace sanity::python
