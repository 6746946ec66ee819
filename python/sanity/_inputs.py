"""Test beds for the library: NumPy arrays (shared with the library without a copy when they are
float32 in C order; otherwise converted once), torch tensors (through NumPy), or a data spec as the
CLI's --data ("mnist", "fashion-mnist", an image folder, an .npy file) with its options.

A study (check) names its inputs by path, as the CLI does: arrays and in-memory models are saved
once into OUT/inputs/ under names derived from their content, so running the same call again finds
the same run in the store and resumes it, and the CLI can resume it too."""
import hashlib
import os
import sys

import numpy as np

from . import _sanity

# Options of a data spec, as the CLI's --data options (count, split, seed, ...).
DATA_OPTIONS = ("split", "count", "seed", "balanced", "data_dir", "resize", "crop", "channels", "mean", "std",
                "imagenet")
BUILTIN_DATASETS = ("mnist", "fashion-mnist")


def is_torch(x):
    torch = sys.modules.get("torch")
    return torch is not None and torch.is_tensor(x)


def _torch_to_numpy(x):
    return x.detach().cpu().numpy() if is_torch(x) else x


def like(x, a):
    """`a` (a NumPy array) as the kind the caller gave `x`: a CPU torch tensor over the same memory
    when x is a torch tensor, else `a` itself."""
    return sys.modules["torch"].from_numpy(a) if is_torch(x) and a is not None else a


def array(x, what):
    """x as a C-contiguous NumPy array in native byte order: the same array when it already is."""
    a = np.asarray(_torch_to_numpy(x))
    if a.dtype == object:
        raise ValueError("%s: expected a numeric array, got objects" % what)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return np.ascontiguousarray(a)


def images(x, labels=None, *, name="x", seed=0):
    """The library's data dict for arrays in memory."""
    d = {"images": array(x, name), "name": name, "seed": seed, "labels": None, "labels_name": "labels"}
    if labels is not None:
        lab = array(labels, "labels")
        d["labels"] = lab.astype(np.int64) if lab.dtype.kind in "iu" else lab
    return d


def spec(x, *, labels=None, default_count, **options):
    """The library's data dict for a data spec; count None takes `default_count`."""
    d = {"spec": os.fspath(x), "labels": os.fspath(labels) if labels is not None else None}
    for key in DATA_OPTIONS:
        if options.get(key) is not None:
            d[key] = options[key]
    if d.get("count") is None:
        d["count"] = default_count
    return d


def is_spec(x):
    return isinstance(x, (str, os.PathLike))


def data(x, labels, options, default_count, name="x"):
    """Arrays or a spec; `default_count` for a spec may depend on the spec (a callable)."""
    if x is None:
        raise ValueError("%s: give images (a NumPy array, N x C x H x W) or a data spec (mnist, a folder, an .npy file)"
                         % name)
    if is_spec(x):
        count = default_count(os.fspath(x)) if callable(default_count) else default_count
        return spec(x, labels=labels, default_count=count, **options)
    return images(x, labels, name=name, seed=options.get("seed") or 0)


def require_images(x):
    """x must be N x C x H x W: one line naming x, as the library's array reader says it."""
    ndim = getattr(x, "ndim", None)
    if ndim is None:
        ndim = np.ndim(x)
    if ndim != 4:
        raise _sanity.InputError("x: array has %d dimensions, expected 4 (N x C x H x W)" % ndim)


def example_of(x):
    """An example input for exporting a torch module: the first image of an array, else None."""
    if x is None or is_spec(x):
        return None
    return array(_torch_to_numpy(x)[:1], "x")  # sliced first: a layout to convert costs one image, not all


def _save_once(path, write):
    """Writes a file under a temporary name and renames it, unless it is there (names are contents)."""
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _digest(a):
    h = hashlib.sha256()
    h.update(str((a.dtype.str, a.shape)).encode())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()[:16]


def save_array(out, stem, a):
    """OUT/inputs/<stem>-<content>.npy."""
    path = os.path.join(out, "inputs", "%s-%s.npy" % (stem, _digest(a)))

    def write(tmp):
        with open(tmp, "wb") as f:
            np.save(f, a, allow_pickle=False)

    return _save_once(path, write)


def save_model(out, m):
    """The model's path: its own .onnx file, "cnn" / "mlp", or OUT/inputs/<name>-<content>.onnx."""
    if m.onnx is None:
        return m.path or m.name
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in m.name) or "model"
    path = os.path.join(out, "inputs", "%s-%s.onnx" % (stem, m.content_key()))

    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(m.onnx)

    return _save_once(path, write)


def study_data(out, d):
    """A data dict a study can name: arrays saved under OUT/inputs/, every image in order."""
    if "images" not in d:
        return d
    images_path = save_array(out, "images", d["images"].astype(np.float32, copy=False))
    saved = {"spec": images_path, "count": 0, "seed": d["seed"], "labels": None}
    if d["labels"] is not None:
        saved["labels"] = save_array(out, "labels", d["labels"])
    return saved
