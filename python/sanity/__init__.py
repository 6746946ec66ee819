"""sanity from Python: the sanity checks for saliency maps (Adebayo et al. 2018; Sixt et al. 2020;
Binder et al. 2023) on PyTorch models, ONNX files and NumPy arrays, over the same C++ library as the
`sanity` command, with its names and option syntax.

    import sanity
    maps = sanity.explain(net, x, "gradient,smoothgrad(gradient, n=50)")     # dict of N x C x H x W arrays
    df, store = sanity.check(net, x, "gradient,guided_backprop", checks="cascading", out="study")
    df = sanity.load("study")                                                # long form, as check() returns
    sanity.methods(), sanity.metrics(), sanity.checks()                      # names, options, defaults
    df, store = sanity.check(net, x, ["gradient", my_fn, captum.attr.Saliency]) # your own methods beside them

Models: an .onnx path, ONNX bytes, a torch.nn.Module (exported to ONNX in memory with an example
input; default: the first image), "cnn" / "mlp", or sanity.model(...) to load once for many calls.
Images: NumPy N x C x H x W (float32 in C order is read in place; other layouts are converted once),
torch tensors, or a data spec as the CLI's --data ("mnist", a folder, an .npy file).

Computation runs without the GIL on LibTorch threads (threads=N, default all cores, as the CLI).
Ctrl-C raises KeyboardInterrupt between units of work; a study keeps every finished unit and the
same call resumes it. Progress: a tqdm bar when tqdm is installed (progress=False: none). Bad input
raises ValueError (sanity.InputError), what the model cannot support NotImplementedError
(sanity.UnsupportedError), with the CLI's one-line messages (their subject named as the Python argument: batch_size=0).
Importing the module sets the process's allocator as the CLI does (freed activation memory is kept
for reuse, core/runtime.h)."""
from ._sanity import InputError, UnsupportedError  # noqa: F401
from ._sanity import version as _version
from ._methods import Method, method  # noqa: F401
from ._models import Model, model, export_onnx  # noqa: F401
from ._api import (Explanations, FaithfulnessResult, check, checks, composites, csc, data, explain,  # noqa: F401
                   faithfulness, frame, load, methods, metrics, model_rows, report, rules, run, runs, stages)

__version__ = _version()
