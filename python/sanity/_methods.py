"""Methods of your own beside the built-in ones: a Python function, a Captum attribution or a Zennit
composite, checked by the same stages, statistics, verdicts, store and resume.

Such a method is called with a torch.nn.Module holding the model state being explained (the trained
model, a cascading, bottom-up or independent stage, the data check's permuted-label model, an sMPRT
or eMPRT copy), a batch of inputs and their target classes, and returns maps. The module is a copy of
the user's module into which the engine's parameters of that state are loaded by name, so it holds
exactly the weights the built-in methods explain at that stage (_model_states.py); the user's module
is never changed.
"""
import copy
import dataclasses
import hashlib
import inspect
import re
import sys

KINDS = ("relevance", "sensitivity")


@dataclasses.dataclass(frozen=True, repr=False)
class Method:
    """A method of your own, made by sanity.method(); pass it in `methods` beside spec strings."""

    call: object  # call(module, x, targets, state) -> maps
    name: str
    version: str
    batch_size: object  # None: the call's
    kind: str
    summary: str

    @property
    def spec(self):
        """The spec results record: the name and the version."""
        return "%s(version=%s)" % (self.name, self.version)

    def __repr__(self):
        return "sanity.method(%s)" % self.spec


def method(fn, *, name=None, version=None, batch_size=None, kind="relevance", engine=False, attributor=None, **options):
    """A method of your own for explain(), check() and faithfulness().

    fn: a function fn(module, x, targets) -> maps, where module is a torch.nn.Module in eval mode
        holding the model state being explained, x an N x C x H x W float32 tensor and targets N
        int64 classes; maps: N x C x H x W or N x H x W, a torch tensor or a NumPy array. With
        engine=True it is called as fn(module, x, targets, engine), engine.logits(x) being the
        engine's logits of that state (to compare the module against).
      or a Captum attribution class (captum.attr.Saliency) or instance (NoiseTunnel(Saliency(net)),
        its model and layers swapped for the state's copy), called as
        attribution.attribute(x, target=targets, **options) on the state's module;
      or a Zennit composite (zennit.composites.EpsilonPlusFlat()), called through `attributor`
        (default zennit.attribution.Gradient, constructed with **options) with the one-hot target
        as the output's relevance.
    name: what results call it (default: the function's or class's name); two methods of one call
        cannot share a name, nor take a built-in one.
    version: what tells two versions of the method apart in a study (default: a hash of its source
        and options): a changed function is a different method, computed again, never served the
        old one's results.
    batch_size: images per call (default: the call's batch_size).
    kind: "relevance" (signed evidence for the target) or "sensitivity" (a direction: faithfulness
        orders its pixels by magnitude), as the built-in methods declare theirs."""
    if isinstance(fn, Method):
        return fn
    if kind not in KINDS:
        raise ValueError("kind: expected one of %s, got %r" % (", ".join(KINDS), kind))
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError("batch_size: expected a whole number >= 1 (None: the call's), got %r" % (batch_size,))
    if _is_captum(fn):
        call, default_name = _captum_call(fn, options), "captum_" + _snake(_class_of(fn).__name__)
    elif _is_zennit_composite(fn):
        call, default_name = _zennit_call(fn, attributor, options), "zennit_" + _snake(type(fn).__name__)
        options = dict(options, attributor=attributor)
    elif callable(fn):
        if options or attributor is not None:
            raise TypeError("method: options (%s) are for Captum and Zennit methods; a function takes none"
                            % ", ".join(sorted(options) or ["attributor"]))
        call, default_name = _function_call(fn, engine), getattr(fn, "__name__", type(fn).__name__)
    else:
        raise TypeError("method: expected a function, a Captum attribution or a Zennit composite, got %s"
                        % type(fn).__name__)
    name = name if name is not None else default_name
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError("method name %r: expected letters, digits and '_' (a name a spec can hold); give name="
                         % (name,))
    version = _version(fn, options, name) if version is None else _checked_version(version, name)
    summary = "your method (%s)" % (getattr(fn, "__qualname__", None) or type(fn).__qualname__)
    return Method(call, name, version, batch_size, kind, summary)


def _snake(text):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text).lower()


def _class_of(obj):
    return obj if inspect.isclass(obj) else type(obj)


def _checked_version(version, name):
    version = str(version)
    if not re.fullmatch(r"[A-Za-z0-9_.+-]+", version):
        raise ValueError("method %s: version %r: expected letters, digits and . _ + -" % (name, version))
    return version


def _version(source, options, name):
    """12 hex digits of the source's SHA-256 with the options: a changed body or option is a new version."""
    try:
        text = inspect.getsource(source if inspect.isroutine(source) or inspect.isclass(source) else type(source))
    except (OSError, TypeError):
        code = getattr(source, "__code__", None)
        if code is None:
            raise ValueError("method %s: its source cannot be read to tell its versions apart; give version="
                             % name) from None
        text = repr((code.co_code, code.co_consts, code.co_names))
    digest = hashlib.sha256(text.encode())
    digest.update(_describe(options).encode())
    if inspect.isfunction(source):  # the values it closes over and its defaults are settings too
        cells = [c.cell_contents for c in (source.__closure__ or ()) if _filled(c)]
        digest.update(_describe([cells, source.__defaults__, source.__kwdefaults__]).encode())
    elif not (inspect.isroutine(source) or inspect.isclass(source)):
        digest.update(_describe(source).encode())  # an instance: its settings (a composite's epsilon) too
    return digest.hexdigest()[:12]


def _describe(obj, path=()):
    """Text that changes when a setting of obj changes and is the same in every process: numbers and
    strings as written, functions by their code and the values they close over, objects by their
    class and attributes, modules by their class alone (their weights are the model's, not the
    method's). Settings sit deep (a Zennit rule's epsilon is closed over by a lambda of a stabilizer
    of the rule of a composite), so the walk goes 24 levels down, stopping at cycles."""
    if len(path) > 24 or id(obj) in path:
        return "..."
    inner = path + (id(obj),)
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return repr(obj)
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return "[" + ",".join(_describe(v, inner) for v in items) + "]"
    if isinstance(obj, dict):
        return "{" + ",".join("%s:%s" % (_describe(k, inner), _describe(v, inner))
                              for k, v in sorted(obj.items(), key=lambda kv: repr(kv[0]))) + "}"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        return type(obj).__qualname__
    if torch is not None and torch.is_tensor(obj):
        return "tensor%s:%s" % (list(obj.shape), hashlib.sha256(obj.detach().cpu().numpy().tobytes()).hexdigest()[:12])
    if inspect.isclass(obj):
        return obj.__module__ + "." + obj.__qualname__
    code = getattr(obj, "__code__", None)
    if code is not None:
        cells = [c.cell_contents for c in (getattr(obj, "__closure__", None) or ()) if _filled(c)]
        return "fn(%r,%s,%s)" % (code.co_code, _describe(code.co_consts, inner), _describe(cells, inner))
    if inspect.ismethod(obj):
        return "method(%s.%s)" % (_describe(obj.__self__, inner), obj.__name__)
    fields = getattr(obj, "__dict__", None)
    return type(obj).__qualname__ + ("" if fields is None else _describe(fields, inner))


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _function_call(fn, engine):
    if engine:
        return lambda module, x, targets, state: fn(module, x, targets, state)
    return lambda module, x, targets, state: fn(module, x, targets)


def _is_captum(obj):
    attr = sys.modules.get("captum.attr")
    return attr is not None and (isinstance(obj, attr.Attribution) or
                                 (inspect.isclass(obj) and issubclass(obj, attr.Attribution)))


def _captum_call(attribution, options):
    def call(module, x, targets, state):
        a = attribution(module) if inspect.isclass(attribution) else _rebound(attribution, state.user, module)
        return a.attribute(x, target=targets, **options)
    return call


def _rebound(obj, user, module):
    """A shallow copy of a Captum attribution whose model, bound methods, layers and inner
    attributions refer to `module` (the state's copy) instead of `user` (the module it was made with)."""
    names = {id(m): n for n, m in user.named_modules()}
    stage_modules = dict(module.named_modules())
    attr = sys.modules["captum.attr"]

    def swap(v):
        if inspect.ismethod(v) and v.__self__ is user:
            return getattr(module, v.__name__)
        if id(v) in names and v is not None and hasattr(v, "parameters"):
            return stage_modules[names[id(v)]]
        if isinstance(v, attr.Attribution):
            return _rebound(v, user, module)
        if isinstance(v, (list, tuple)):
            return type(v)(swap(e) for e in v)
        return v

    out = copy.copy(obj)
    for key, value in vars(obj).items():
        setattr(out, key, swap(value))
    return out


def _is_zennit_composite(obj):
    core = sys.modules.get("zennit.core")
    return core is not None and isinstance(obj, core.Composite)


def _zennit_call(composite, attributor, options):
    def call(module, x, targets, state):
        import torch
        import zennit.attribution

        make = attributor or zennit.attribution.Gradient
        one_hot = lambda out: torch.nn.functional.one_hot(targets, out.shape[1]).to(out.dtype)
        with make(model=module, composite=composite, **options) as a:
            _output, relevance = a(x, attr_output=one_hot)
        return relevance
    return call


def split(methods, what="methods"):
    """(spec strings, Method objects) of a methods argument: a comma-separated string or a list of
    specs, functions, Captum attributions, Zennit composites and sanity.method()s."""
    if isinstance(methods, str):
        return [methods], []
    try:
        items = list(methods)
    except TypeError:
        raise TypeError("%s: expected a comma-separated string or a list of specs and methods" % what) from None
    specs, custom = [], []
    for item in items:
        if isinstance(item, str):
            specs.append(item)
            continue
        m = method(item)
        custom.append(m)
        specs.append(m.name)
    return specs, custom
