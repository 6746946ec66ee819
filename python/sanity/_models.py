"""Models for sanity: an ONNX file, ONNX bytes, a torch.nn.Module with an example input, or the
built-in architectures "cnn" / "mlp" (untrained). A torch module is exported to ONNX in memory
(torch.onnx.export, dynamic batch axis) and imported by the same importer as an .onnx file, so its
maps are those of its exported file."""
import hashlib
import io
import os
import sys
import warnings

from . import _sanity


class Model:
    """A model loaded once for many calls (every function also takes what `model()` takes).

    name: what errors and stores call it; path: its .onnx file (None for bytes and modules);
    onnx: its serialized ONNX (None when it came from a file); module: the torch.nn.Module it was
    exported from (None otherwise), which methods of your own (sanity.method) are given."""

    def __init__(self, handle, name, path=None, onnx=None, module=None):
        self._handle = handle
        self.name = name
        self.path = path
        self.onnx = onnx
        self.module = module

    @property
    def input_shape(self):
        """[C, H, W] the model expects (-1 where any size is accepted)."""
        return list(self._handle.input_shape())

    def layers(self):
        """Layers with parameters, output first: the stages of cascading randomization."""
        return list(self._handle.layers())

    def summary(self):
        return self._handle.summary()

    def content_key(self):
        """12 hex digits of the ONNX bytes' SHA-256 (names the file a study keeps of it)."""
        return hashlib.sha256(self.onnx).hexdigest()[:12] if self.onnx is not None else None

    def __repr__(self):
        return "sanity.Model(%r)" % self.name


def is_torch_module(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def export_onnx(module, example, opset=18):
    """ONNX bytes of a torch.nn.Module in eval mode, traced on `example` (an input batch, NumPy or
    torch), batch axis dynamic. The module's training flag and its parameters' requires_grad are
    restored after.

    The exporter: torch's TorchScript exporter (dynamo=False) at opset 18, with training=PRESERVE
    and no constant folding, so that every module keeps its own parameters under its own name: an
    eval-mode BatchNorm stays a BatchNormalization node (the default EVAL export folds it into the
    conv before it, and randomizing that conv would silently drop the BatchNorm's scale), and
    buffers such as Swin's relative-position table stay parameters of their block. On the 20
    torchvision families this is the one export whose files the importer reads whole with every
    name kept; torch's dynamo exporter folds BatchNorm too and renames folded weights (val_N).
    Gradients stay enabled while tracing: nn.MultiheadAttention under no_grad takes a fused fast
    path that has no ONNX export."""
    import torch

    x = example if torch.is_tensor(example) else torch.as_tensor(example)
    x = x.detach().to(torch.float32)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    was_training = module.training
    frozen = [p for p in module.parameters() if not p.requires_grad]
    module.eval()
    buffer = io.BytesIO()
    try:
        for p in frozen:
            p.requires_grad_(True)
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"torch\.onnx.*")  # the TorchScript exporter's deprecation notice
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            torch.onnx.export(module, (x[:1],), buffer, dynamo=False, opset_version=opset, input_names=["input"],
                              output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                              training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    except Exception as e:  # the module's own forward failed on the example, or the exporter refused it
        conv = next((m for m in module.modules() if isinstance(m, torch.nn.Conv2d)), None)
        if conv is not None and x.dim() == 4 and x.shape[1] != conv.in_channels:
            names = {m: n for n, m in module.named_modules()}
            raise _sanity.InputError("x: images of shape %s have %d channels, but the module's first convolution (%s) "
                                     "takes %d; expected N x C x H x W%s"
                                     % (list(x[:1].shape), x.shape[1], names[conv], conv.in_channels,
                                        " (channels last? x.permute(0, 3, 1, 2))" if x.shape[3] == conv.in_channels
                                        else "")) from e
        first = (str(e).strip().splitlines() or [""])[0]
        raise _sanity.InputError("model: exporting the %s to ONNX with an example of shape %s failed (%s: %s); "
                                 "give example= an input the module takes"
                                 % (type(module).__name__, list(x[:1].shape), type(e).__name__, first)) from e
    finally:
        for p in frozen:
            p.requires_grad_(False)
        module.train(was_training)
    return buffer.getvalue()


def model(source, example=None, *, seed=0, name=None, opset=18):
    """A Model from an .onnx path, "cnn" / "mlp" (untrained built-ins, weights from `seed`), ONNX
    bytes, a torch.nn.Module with `example` (an input batch; one image is enough), or a Model.

    Raises ValueError for a file or bytes that are not a model the importer reads (the CLI's message)
    and NotImplementedError for an operator outside the supported set."""
    if isinstance(source, Model):
        return source
    if isinstance(source, (str, os.PathLike)):
        spec = os.fspath(source)
        builtin = spec in ("cnn", "mlp")
        return Model(_sanity.load_model(spec, seed), spec, path=None if builtin else spec)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "<onnx bytes>"
        return Model(_sanity.load_model_bytes(data, label), label, onnx=data)
    if is_torch_module(source):
        if example is None:
            raise ValueError("model: a torch.nn.Module needs an example input (example=x[:1]) to export it to ONNX")
        data = export_onnx(source, example, opset)
        label = name or type(source).__name__
        return Model(_sanity.load_model_bytes(data, label), label, onnx=data, module=source)
    raise TypeError("model: expected an .onnx path, 'cnn' / 'mlp', ONNX bytes, a torch.nn.Module or a sanity.Model, "
                    "got %s" % type(source).__name__)
