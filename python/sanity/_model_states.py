"""The model states a method of your own is given (python/sanity/_methods.py makes the methods).

For every state the engine explains, the library calls a _Bridge with that state's parameters: the
bridge loads them into a copy of the user's torch module (matched to its parameters and buffers once,
by module path and name, else by value), checks once per state that the module computes the engine's
logits, calls the method and returns float32 maps. Anything the method raises becomes one line
naming it.
"""
import contextlib
import copy
import sys
import threading

import numpy as np

from . import _sanity


class _State:
    """What a method may ask of the model state besides its module: the engine's logits."""

    def __init__(self, user, logits):
        self.user = user
        self._logits = logits

    def logits(self, x):
        import torch
        a = np.ascontiguousarray(x.detach().cpu().numpy() if torch.is_tensor(x) else x, dtype=np.float32)
        return torch.from_numpy(self._logits(a))


def _same(t, g):
    """How a module tensor t holds the engine's parameter g: "same", "t" (transposed), "reshape", or None."""
    import torch
    if not t.is_floating_point():
        return None
    t = t.to(g.dtype)
    if t.shape == g.shape:
        return "same" if torch.equal(t, g) else None
    if t.dim() == 2 and tuple(t.shape[::-1]) == tuple(g.shape):
        return "t" if torch.equal(t.t(), g) else None
    if t.numel() == g.numel():
        return "reshape" if torch.equal(t.reshape(g.shape), g) else None
    return None


def _match(state, path, pname, g):
    """The module tensor that holds engine parameter g: by its module path and name, else the one
    tensor of equal value (an exact shape first); None when none or several do."""
    named = "%s.%s" % (path, pname) if path else None
    if named in state and _same(state[named], g):
        return named, _same(state[named], g)
    hits = [(n, how) for n, t in state.items() if (how := _same(t, g))]
    for pick in ([h for h in hits if h[1] == "same"], hits):
        if path and len(pick) > 1:
            pick = [h for h in pick if h[0].startswith(path + ".")] or pick
        if len(pick) == 1:
            return pick[0]
        if pick:
            return None
    return None


class _Bridge:
    """The function the library calls: loads a model state into a copy of the user's module, calls
    the method, returns float32 maps; anything the method raises becomes one line naming it."""

    def __init__(self, m, user, handle):
        import torch
        self.m = m
        self.user = user
        self.entries = _sanity.graph_parameters(handle)
        state = {n: t.detach() for n, t in user.named_parameters()}
        for n, t in user.named_buffers():
            state.setdefault(n, t.detach())
        self.mapping = [_match(state, path, pname, torch.from_numpy(arr)) for _node, path, pname, arr in self.entries]
        self.module = None
        self.verified = set()
        # One model state at a time in the one copy: torch releases the GIL inside its operations, so
        # two calls from two threads could otherwise load their states into it in turn.
        self.lock = threading.Lock()

    def _module_for(self, params):
        import torch
        if self.module is None:
            self.module = copy.deepcopy(self.user).eval()
            self.tensors = dict(self.module.named_parameters())
            self.tensors.update(dict(self.module.named_buffers()))
        if len(params) != len(self.entries):
            raise _sanity.InputError("method %s: the model state has %d parameters, the model %d; a torch module "
                                     "explains its own architecture only" % (self.m.name, len(params), len(self.entries)))
        written = {}
        with torch.no_grad():
            for arr, target, (node, _path, pname, trained) in zip(params, self.mapping, self.entries):
                if target is not None and target[0] in written and not np.array_equal(written[target[0]][0], arr):
                    raise _sanity.InputError(
                        "method %s: the module's tensor '%s' holds both the engine's parameter '%s' of node '%s' and "
                        "'%s' of node '%s', which differ in this model state" % (self.m.name, target[0], pname, node,
                                                                                 written[target[0]][1], written[target[0]][2]))
                if target is not None:
                    written[target[0]] = (arr, pname, node)
                if target is None:
                    if not np.array_equal(arr, trained):
                        raise _sanity.InputError(
                            "method %s: the engine's parameter '%s' of node '%s' changes in this model state, but "
                            "the torch module holds no tensor of its value (the ONNX export renamed or folded it), "
                            "so the module cannot be given this state" % (self.m.name, pname, node))
                    continue
                name, how = target
                src = torch.from_numpy(arr)
                dst = self.tensors[name]
                dst.copy_(src.t() if how == "t" else src.reshape(dst.shape))
        return self.module

    def __call__(self, params, x, targets, logits):
        with self.lock:
            return self._call(params, x, targets, logits)

    def _verify(self, module, params, x, logits):
        """Once per model state: the module's logits are the engine's on one image (a safety net under
        the parameter matching: a module that explains another function fails here, not silently)."""
        import torch
        key = tuple(a.__array_interface__["data"][0] for a in params)
        if key in self.verified:
            return
        with torch.no_grad():
            theirs = module(torch.from_numpy(x[:1])).detach().to(torch.float64)
        ours = torch.from_numpy(logits(np.ascontiguousarray(x[:1]))).to(torch.float64)
        gap = ((theirs - ours).abs().max() / ours.abs().max().clamp_min(1e-30)).item() if theirs.shape == ours.shape \
            else float("inf")
        if not gap <= 1e-4:
            raise _sanity.InputError(
                "method %s: the torch module given this model state computes other logits than the engine's (largest "
                "difference %.3g of the largest logit): the module and its ONNX export disagree" % (self.m.name, gap))
        self.verified.add(key)

    def _call(self, params, x, targets, logits):
        import torch
        module = self._module_for(params)
        self._verify(module, params, x, logits)
        try:
            with torch.inference_mode(False), torch.enable_grad():
                # x is a copy: a method that writes into its input must not change the engine's images
                maps = self.m.call(module, torch.from_numpy(x).clone(), torch.from_numpy(targets).clone(),
                                    _State(self.user, logits))
        except (KeyboardInterrupt, _sanity.InputError):
            raise
        except Exception as e:
            first = (str(e).strip().splitlines() or [""])[0]
            raise _sanity.InputError("method %s: raised %s: %s" % (self.m.name, type(e).__name__, first)) from e
        return _as_maps(maps, self.m.name)


def _as_maps(maps, name):
    torch = sys.modules.get("torch")
    if torch is not None and torch.is_tensor(maps):
        return np.ascontiguousarray(maps.detach().to("cpu", torch.float32).numpy())
    if isinstance(maps, np.ndarray) and maps.dtype.kind in "fiub":
        return np.ascontiguousarray(maps, dtype=np.float32)
    raise _sanity.InputError("method %s: returned %s; expected maps as a torch tensor or a NumPy array"
                             % (name, type(maps).__name__))


@contextlib.contextmanager
def registered(custom, model):
    """The methods in the library's registry for the duration of a call on `model` (a sanity.Model
    made from a torch module, which they are given)."""
    if custom and model.module is None:
        raise _sanity.InputError("methods: %s is a Python method, which is given the model as a torch module; pass "
                                 "the torch.nn.Module as model= (got %s)" % (custom[0].name, model.name))
    registrations = []
    try:
        for m in custom:
            registrations.append(_sanity.register_method(m.name, m.summary, m.version, m.kind, m.batch_size or 0,
                                                         _Bridge(m, model.module, model._handle)))
        yield
    finally:
        for r in registrations:
            r.close()
