"""The functions of the package: the CLI's commands with its names and option syntax."""
import contextlib
import json
import numbers
import re
import os
import sys

from . import _frames, _inputs, _methods, _model_states, _models, _progress, _sanity, _settings
from ._models import Model, model as as_model


# A message whose subject is a CLI flag: "--batch-size 256: a batch would need ...".
_LEADING_FLAG = re.compile(r"^--([a-z][a-z0-9-]*)(?: ([^\s:]+))?(?=:)")


def in_python_words(message, renames):
    """A library message whose subject is a CLI flag ("--batch-size 256: ...") with the subject as the
    function's keyword argument ("batch_size=256: ..."; `renames` where the names differ: --data is
    x); flags later in a sentence stay the CLI's."""
    m = _LEADING_FLAG.match(message)
    if not m:
        return message
    key = renames.get(m.group(1), m.group(1).replace("-", "_"))
    return key + ("=" + m.group(2) if m.group(2) else "") + message[m.end():]


@contextlib.contextmanager
def _python_words(**renames):
    try:
        yield
    except (_sanity.InputError, _sanity.UnsupportedError) as e:
        text = in_python_words(str(e), renames)
        if text == str(e):
            raise
        raise type(e)(text) from None


def _device(device):
    """The device a call runs on, as the CLI's --device: "cpu", "cuda", "cuda:N", "auto" or a torch.device."""
    if type(device).__name__ == "device" and type(device).__module__ == "torch":
        return str(device)
    if not isinstance(device, str):
        raise TypeError("device: expected \"cpu\", \"cuda\", \"cuda:N\", \"auto\" or a torch.device, got %s"
                        % type(device).__name__)
    return device


def _precision(precision):
    """The arithmetic of the attribution passes, as the CLI's --precision: "float32", "tf32", "bf16",
    or torch.float32 / torch.bfloat16."""
    if type(precision).__name__ == "dtype" and type(precision).__module__ == "torch":
        names = {"torch.float32": "float32", "torch.bfloat16": "bf16"}
        if str(precision) not in names:
            raise _sanity.InputError("precision: %s: expected torch.float32 or torch.bfloat16 (or \"tf32\")" % precision)
        return names[str(precision)]
    if not isinstance(precision, str):
        raise TypeError("precision: expected \"float32\", \"tf32\", \"bf16\" or a torch dtype, got %s"
                        % type(precision).__name__)
    return precision


def _threads(threads):
    """None: the CLI's default (every core); else a count the library checks against the machine's."""
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError("threads: expected an integer or None, got %s" % type(threads).__name__)
    if not 1 <= threads < 2**31:
        raise _sanity.InputError("threads: expected 1 or more (None for every core), got %d" % threads)
    return int(threads)


def _study_dir(out, default):
    """The study directory `out` as a path; a file there is refused before anything is written."""
    out = os.fspath(out) if out is not None else default
    if os.path.exists(out) and not os.path.isdir(out):
        raise _sanity.InputError("out: '%s' is a file; expected a study directory (new or existing)" % out)
    return out


def _spec_list(methods, what):
    """A comma-separated spec list from a string or a list of specs."""
    if isinstance(methods, str):
        return methods
    try:
        items = list(methods)
    except TypeError:
        raise TypeError("%s: expected a comma-separated string or a list of specs" % what) from None
    if not all(isinstance(m, str) for m in items):
        raise TypeError("%s: expected specs as strings" % what)
    return ",".join(items)


def _explain_count(spec):
    # As `sanity explain`: every image of a folder or .npy file, a test bed of 200 of a dataset.
    return 200 if spec in _inputs.BUILTIN_DATASETS else 0


def _fit(fit, fit_count):
    if fit is None:
        return {"fit_count": fit_count}
    if _inputs.is_spec(fit):
        return {"fit_data": os.fspath(fit), "fit_count": fit_count}
    return {"fit_images": _inputs.array(fit, "fit"), "fit_count": fit_count}


def _model_and_data(model, x, labels, example, data_options, default_count, seed):
    unknown = sorted(set(data_options) - set(_inputs.DATA_OPTIONS))
    if unknown:
        raise TypeError("unexpected keyword argument %r; data options are %s" % (unknown[0], ", ".join(_inputs.DATA_OPTIONS)))
    given = sorted(k for k, v in data_options.items() if v is not None)
    if given and x is not None and not _inputs.is_spec(x):
        raise ValueError("%s: an option of a data spec (mnist, a folder, an .npy file); x is an array, so select "
                         "its images by slicing instead" % given[0])
    data_options = dict(data_options, seed=seed)
    if x is not None and not _inputs.is_spec(x) and example is None and _models.is_torch_module(model):
        _inputs.require_images(x)  # before the module's export, whose tracer would say it in its words
    d = _inputs.data(x, labels, data_options, default_count)
    m = as_model(model, example if example is not None else _inputs.example_of(x))
    return m, d


def data(spec, labels=None, *, split="test", count=0, seed=0, balanced=False, **options):
    """Images and labels of a data spec as the CLI's --data ("mnist", "fashion-mnist", an image
    folder, an .npy file): (N x C x H x W float32, N int64 with -1 where unknown) NumPy arrays.
    count=0: every image of the split in order; else a test bed of `count` drawn with `seed` (as
    explain(model, "mnist", count=...) selects). Image folders take imagenet=, resize=, crop=, ..."""
    unknown = sorted(set(options) - set(_inputs.DATA_OPTIONS))
    if unknown:
        raise TypeError("unexpected keyword argument %r" % unknown[0])
    d = _inputs.spec(spec, labels=labels, default_count=count, split=split, seed=seed, balanced=balanced, **options)
    images, labels, _ids = _sanity.data(d)
    return images, labels


class _Aliased(dict):
    """A dict by a method's short spec (the `method` column of check()'s frame) that also finds a
    method by the spec as given or in full."""

    def __init__(self, items, aliases):
        super().__init__(items)
        self._aliases = aliases

    def __missing__(self, key):
        if key in self._aliases:
            return self[self._aliases[key]]
        raise KeyError(key)

    def __contains__(self, key):
        return super().__contains__(key) or key in self._aliases


class Explanations(_Aliased):
    """Maps by method, keyed as check()'s frame names methods ("gradient", "smoothgrad(gradient)",
    a method of your own by its name; the spec as given or in full finds them too): N x C x H x W
    float32 arrays in input order, NumPy, or CPU torch tensors when the images came as a torch tensor.
    Also, by the same keys: specs (the canonical spec with every default), diagnostics (per-image
    arrays such as Integrated Gradients' completeness_gap), seconds; and predicted and targets (the
    classes explained), ids (image indices in the data)."""

    specs = predicted = targets = ids = labels = diagnostics = seconds = None


def explain(model, x, methods, targets=None, *, labels=None, example=None, batch_size=64, seed=0, fit=None,
            fit_count=5000, threads=None, device="cpu", precision="float32", progress=True, **data_options):
    """Saliency maps of `x` by every method: `sanity explain`.

    model: an .onnx path, ONNX bytes, a torch.nn.Module (exported with `example`, default x[:1]),
        "cnn" / "mlp" (untrained built-ins) or a sanity.Model.
    x: N x C x H x W images (NumPy, float32 in C order is used without a copy; torch tensors too),
        or a data spec as --data: "mnist", "fashion-mnist", an image folder, an .npy file, with
        count=, split=, balanced=, imagenet=, resize=, crop=, channels=, mean=, std=, data_dir=.
    methods: "gradient,smoothgrad(guided_backprop, n=50)" or a list of specs (sanity.methods()) and
        methods of your own (functions, Captum attributions, Zennit composites, sanity.method()),
        which need model as a torch.nn.Module.
    targets: None or "predicted" (the argmax), "true" (labels), a class index, or one class per image.
    fit, fit_count: training images for pattern methods (an array or a data spec; default for a
        built-in dataset: its train split).
    device: where the model and the maps are computed: "cpu", "cuda", "cuda:N", "auto" or a
        torch.device (the maps are returned on the CPU).
    precision: the arithmetic of the attribution passes, as --precision: "float32" (the reference),
        "tf32" (CUDA), "bf16" (CUDA; CPUs with AVX512-BF16 or AMX) or torch.bfloat16; it overrides a
        torch.autocast around the call. The maps are float32 either way.
    Returns Explanations, a dict of maps by method (torch tensors for a torch x, NumPy otherwise).
    Raises ValueError for bad input and NotImplementedError for what the model cannot support, with the CLI's one-line messages."""
    specs, custom = _methods.split(methods)
    m, d = _model_and_data(model, x, labels, example, data_options, _explain_count, seed)
    request = {"methods": _spec_list(specs, "methods"), "batch_size": batch_size, "target": "predicted",
               "classes": None, "device": _device(device), "precision": _precision(precision)}
    if targets is None or isinstance(targets, str):
        request["target"] = targets or "predicted"
    elif isinstance(targets, int) and not isinstance(targets, bool):
        request["target"] = str(targets)
    else:
        request["classes"] = _inputs.array(targets, "targets")
    with _model_states.registered(custom, m), _python_words(data="x", target="targets"):
        r = _sanity.explain(m._handle, d, request, _fit(fit, fit_count), _threads(threads),
                            _progress.bar_for(progress), _progress.enabled(progress))
    # The caller's kind: torch tensors (sharing the arrays' memory) for torch input, else NumPy.
    keys = [_sanity.short_spec("methods", e["spec"]) for e in r["methods"]]
    aliases = {}
    for key, e in zip(keys, r["methods"]):
        aliases.update({e["given"]: key, e["spec"]: key})
    out = Explanations(((k, _inputs.like(x, e["maps"])) for k, e in zip(keys, r["methods"])), aliases)
    out.specs, out.diagnostics, out.seconds = (_Aliased({k: e[f] for k, e in zip(keys, r["methods"])}, aliases)
                                               for f in ("spec", "diagnostics", "seconds"))
    out.predicted, out.targets, out.ids, out.labels = (_inputs.like(x, r[k]) for k in ("predicted", "targets", "ids",
                                                                                       "labels"))
    return out


def check(model, x, methods, checks="cascading,independent", metrics="spearman_abs, spearman, ssim, hog", out=None,
          *, labels=None, example=None, permuted_model=None, reference_model=None, layers=None, init="original",
          keep_bias=False, reset_bn_stats=False, per_image=False, target="predicted", batch_size=256,
          grid_images=4, repair=False, seed=0, threads=None, device="cpu", precision="float32", progress=True,
          **data_options):
    """Sanity checks into a study directory: `sanity check`. Returns (DataFrame, store path).

    The DataFrame is frame(): this run's per-image measurements in long form, one number per row:
    run_id, check, stage, stage_label, method, metric (as written in a call: "ssim"), layer, image,
    step, value (NaN: an undefined score), method_spec, metric_spec (in full); df.attrs has run_id,
    units_done, units_skipped and seconds. load() gives sanity export's measurements.csv instead,
    model_rows() the activation scales.
    model, x, labels, example: as explain(); arrays and in-memory models are saved once into
        OUT/inputs/ (named by content). A data spec takes count= (default 200), split=, seed=, ...
    checks, metrics: spec lists (sanity.checks(), sanity.metrics()); out: the study directory
        (default "out", as the CLI). Work is committed unit by unit: Ctrl-C (KeyboardInterrupt)
        keeps what is done, and the same call again resumes.
    The other options are `sanity check`'s: permuted_model / reference_model (the data check),
    layers, init, keep_bias, reset_bn_stats, per_image, target, batch_size, grid_images, repair,
    device and precision (as explain(); precision is part of the run's identity)."""
    if out is None:  # the CLI's default, which a notebook user would not guess
        print("sanity.check: writing the study into %s (out= chooses the directory)" % os.path.abspath("out"),
              file=sys.stderr)
    out = _study_dir(out, "out")
    example = example if example is not None else _inputs.example_of(x)  # also for the other models below
    specs, custom = _methods.split(methods)
    m, d = _model_and_data(model, x, labels, example, data_options, 200, seed)
    config = {"model": _inputs.save_model(out, m), "data": _inputs.study_data(out, d),
              "methods": _spec_list(specs, "methods"), "checks": _spec_list(checks, "checks"),
              "metrics": _spec_list(metrics, "metrics"), "layers": _spec_list(layers, "layers") if layers else None,
              "init": init, "keep_bias": keep_bias, "reset_bn_stats": reset_bn_stats, "per_image": per_image,
              "target": target, "batch_size": batch_size, "grid_images": grid_images, "out": out, "repair": repair,
              "device": _device(device), "precision": _precision(precision)}
    for key, other in (("permuted_model", permuted_model), ("reference_model", reference_model)):
        if other is not None:
            config[key] = _inputs.save_model(out, as_model(other, example))
    with _model_states.registered(custom, m), _python_words(data="x"):
        s = _sanity.check(config, _threads(threads), _progress.bar_for(progress), _progress.enabled(progress))
    df = frame(s["store"], run=s["run_id"])
    df.attrs.update({k: s[k] for k in ("run_id", "units_done", "units_skipped", "seconds")})
    return df, s["store"]


def _store_path(study):
    study = os.fspath(study)
    return os.path.join(study, "results.sqlite") if os.path.isdir(study) else study


def load(study, run=None):
    """A study's measurements (a directory or its results.sqlite) as check() returns them: long form,
    sanity export's columns, every run unless `run` is given. The store is opened read-only."""
    path = _store_path(study)
    if not os.path.exists(path):
        raise ValueError("%s: no results store here (expected a study directory or its results.sqlite)" % path)
    return _frames.measurements(_sanity.rows(path, run))


def frame(study, run=None):
    """check()'s frame of a study: one row per image and number with run_id, check, stage,
    stage_label (the layer a cascading stage randomized down to; "original" at stage 0), method and
    metric as written in a call ("ssim", "smoothgrad(gradient)", a method of your own by its name),
    layer, image, step, value, and the stored full specs (method_spec, metric_spec). The model's own
    quantities (activation scales) are in model_rows()."""
    df = load(study, run)
    return _frames.readable(df[df.method != ""], stages(study, run))


def model_rows(study, run=None):
    """The model's own quantities per stage (activation scales: one number per layer and stage, no
    method, no image), with frame()'s columns less method and image."""
    df = load(study, run)
    return _frames.readable(df[df.method == ""], stages(study, run)).drop(columns=["method", "method_spec", "image"])


def runs(study):
    """The store's runs (sanity export's runs.csv): run_id, model, data, options, seed, versions, created."""
    return _frames.records(_sanity.runs(_store_path(study)))


def stages(study, run=None):
    """What each stage of each check means (run_id, check, stage, label): for cascading, the layer
    randomized down to at that stage ("original" at stage 0)."""
    return _frames.records(_sanity.stages(_store_path(study), run), columns=["run_id", "check", "stage", "label"])


class FaithfulnessResult:
    """scores (scores.csv: per method and image), curves (curves.csv: long form), ranking
    (ranking.csv), rank_correlation, means (per method and measure), and the store's run_id when out=."""

    def __init__(self, r):
        self.scores = _frames.faithfulness_scores(r)
        self.curves = _frames.faithfulness_curves(r)
        self.ranking = _frames.ranking(r["ranking"])
        self.rank_correlation = _frames.rank_correlation(r["ranking"])
        self.means = {m["spec"]: m["means"] for m in r["methods"]}
        self.order = {m["spec"]: m["order"] for m in r["methods"]}
        self.run_id = r["run_id"] or None

    def __repr__(self):
        return "FaithfulnessResult(%d methods)" % len(self.means)


@_settings.with_settings("faithfulness")
def faithfulness(model, x, methods, out=None, *, labels=None, example=None, batch_size=256, seed=0, fit=None,
                 fit_count=5000, threads=None, device="cpu", precision="float32", progress=True, **options):
    """Pixel flipping (MoRF/LeRF, AOPC) and insertion/deletion per method, and the ranking:
    `sanity faithfulness`, its flags as arguments (None: the default). Other keyword arguments are
    data options. With out=, also its files (curves.csv, scores.csv, ranking.csv, faithfulness.json)
    and store. device, precision: as explain() (the perturbed inputs' passes are float32)."""
    settings = _settings.take(options, faithfulness)
    specs, custom = _methods.split(methods)
    m, d = _model_and_data(model, x, labels, example, options, 200, seed)
    request = {"methods": _spec_list(specs, "methods"), "batch_size": batch_size, "out": _study_dir(out, ""),
               "settings": settings, "device": _device(device), "precision": _precision(precision)}
    with _model_states.registered(custom, m), _python_words(data="x"):
        r = _sanity.faithfulness(m._handle, d, request, _fit(fit, fit_count), _threads(threads),
                                 _progress.bar_for(progress), _progress.enabled(progress))
    return FaithfulnessResult(r)


def csc(model, x, methods=None, *, labels=None, example=None, start="random", inject=None, samples=5, layers=None,
        batch_size=8, seed=0, fit=None, fit_count=5000, threads=None, device="cpu", progress=True, **data_options):
    """Cosine similarity convergence per method, start and layer (csc.csv's columns): `sanity csc`.
    methods: default the CLI's modified-backprop list; start: random, classes or both; device: as
    explain()."""
    if methods is not None and _methods.split(methods)[1]:
        raise _sanity.InputError("methods: %s is a Python method; CSC follows the backward signal through every layer, "
                                 "which only the built-in modified-backprop methods expose"
                                 % _methods.split(methods)[1][0].name)
    m, d = _model_and_data(model, x, labels, example, data_options, 200, seed)
    request = {"methods": _spec_list(methods, "methods") if methods is not None else None, "start": start,
               "inject": inject, "samples": samples, "batch_size": batch_size,
               "layers": [layers] if isinstance(layers, str) else layers, "device": _device(device)}
    with _python_words(data="x"):
        rows = _sanity.csc(m._handle, d, request, _fit(fit, fit_count), _threads(threads), _progress.bar_for(progress),
                           _progress.enabled(progress))
    return _frames.records(rows)


def run(config=None, *, out=None, report=True, repair=False, data_dir=None, threads=None, device=None, precision=None,
        progress=True):
    """A whole study: `sanity run`. config: None (the default study), a config file's path or a dict
    (docs/STUDY_CONFIG.md); device: None (the config's "device", default cpu) or as explain();
    precision: None (the config's "precision", default float32) or as explain(), for training too.
    Returns a summary dict (units, models, the store and report paths)."""
    if config is None:
        text = ""
    elif isinstance(config, dict):
        methods = config.get("methods")
        if isinstance(methods, (list, tuple)) and not all(isinstance(m, str) for m in methods):
            raise _sanity.InputError("config: methods: a method of your own is given a torch module, and the models of "
                                     "a study config are trained by sanity; check() it on your module instead")
        text = json.dumps(config)
    elif isinstance(config, (str, os.PathLike)):
        text = os.fspath(config)
    else:
        raise TypeError("config: expected None (the default study), a config file's path or a dict, got %s"
                        % type(config).__name__)
    options = {"out": _study_dir(out, None) if out is not None else None, "report": report, "repair": repair,
               "data_dir": data_dir, "device": _device(device) if device is not None else "",
               "precision": _precision(precision) if precision is not None else ""}
    with _python_words():
        return _sanity.run(text, options, _threads(threads), _progress.bar_for(progress),
                           _progress.enabled(progress))


@_settings.with_settings("report", "verdicts")
def report(study, out=None, **settings):
    """Figures and report.html of a study directory: `sanity report`, its flags as arguments (None:
    the default). Returns report.html's path. The verdict rule's settings override the study's
    (study.json's config.verdicts)."""
    html, _figures = _sanity.report(os.fspath(study), os.fspath(out) if out is not None else "", settings)
    return html


def _entries(kind):
    return {e["name"]: {"summary": e["summary"], "wraps": e["wraps"], "synopsis": e["synopsis"],
                        "options": {o["key"]: {k: o[k] for k in ("type", "default", "help", "values")}
                                    for o in e["options"]}}
            for e in _sanity.entries(kind)}


def methods():
    """Every attribution method: name -> summary, wraps (specs it wraps), synopsis, options (key ->
    type, default, help, values), as `sanity list methods`."""
    return _entries("methods")


def metrics():
    """Every similarity metric, as methods()."""
    return _entries("metrics")


def checks():
    """Every sanity check, as methods()."""
    return _entries("checks")


def rules():
    """Every LRP rule, as methods()."""
    return _entries("rules")


def composites():
    """Every LRP composite, as methods()."""
    return _entries("composites")


__all__ = ["Model", "Explanations", "FaithfulnessResult", "data", "explain", "check", "faithfulness", "csc", "run", "report",
           "load", "frame", "model_rows", "runs", "stages", "methods", "metrics", "checks", "rules", "composites"]
