"""Shared by the reference scripts: seeded model construction and ONNX export with PyTorch (the project environment's torch).

A reference script rebuilds a model from (name, seed) instead of reading another script's files, so
fixtures stay independent; the C++ side loads the ONNX file the script exports next to its outputs.
"""
import os
import sys

import numpy as np
import torch
import torchvision

# Input sizes of the torchvision architectures we test.
INPUT_SIZE = {"vgg16": 224, "resnet50": 224, "inception_v3": 299, "mobilenet_v2": 224, "densenet121": 224,
              "vit_b_16": 224, "convnext_tiny": 224}


class MnistCNN(torch.nn.Module):
    """The papers' MNIST CNN (same layer names and shapes as sanity's built-in `cnn`)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = torch.nn.Linear(3136, 1024)
        self.fc2 = torch.nn.Linear(1024, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def make_model(name, seed=0):
    """A model with random weights, deterministic in (name, seed), in eval mode."""
    torch.manual_seed(seed)
    if name == "mnist_cnn":
        model = MnistCNN()
    elif name == "inception_v3":
        model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    return model.eval()


def input_shape(name):
    if name == "mnist_cnn":
        return (1, 28, 28)
    s = INPUT_SIZE[name]
    return (3, s, s)


def make_input(name, n, seed=1):
    """n deterministic inputs for model `name` (uniform in [0, 1] for MNIST, N(0, 1) otherwise)."""
    g = torch.Generator().manual_seed(seed)
    shape = (n,) + input_shape(name)
    return torch.rand(shape, generator=g) if name == "mnist_cnn" else torch.randn(shape, generator=g)


def export(model, name, path, opset=13, fold_batchnorm=True):
    """Exports with a dynamic batch dimension. fold_batchnorm=False keeps BatchNormalization nodes."""
    if os.path.exists(path):
        return path
    x = make_input(name, 1)
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=opset, dynamo=False, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=fold_batchnorm,
                      training=torch.onnx.TrainingMode.EVAL if fold_batchnorm else torch.onnx.TrainingMode.PRESERVE)
    os.replace(tmp, path)
    return path


def logits_and_gradient(model, x, classes):
    """The logits, and d logit[class] / d x per image (PyTorch autograd)."""
    xi = x.clone().requires_grad_(True)
    logits = model(xi)
    logits.gather(1, classes.view(-1, 1)).sum().backward()
    return logits.detach(), xi.grad


def randomize_batchnorm_(m, g):
    """Trained-looking BatchNorm statistics and affine parameters (random weights leave them at the
    identity, which would hide an import that drops them), drawn from generator g."""
    c = m.num_features
    with torch.no_grad():
        m.weight.copy_(0.5 + torch.rand(c, generator=g))
        m.bias.copy_(0.1 * torch.randn(c, generator=g))
        m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
        m.running_var.copy_(0.5 + torch.rand(c, generator=g))


def cosine(a, b):
    a, b = a.flatten().double(), b.flatten().double()
    return float(a @ b / (a.norm() * b.norm()))


def save(out_dir, name, array):
    """Writes a float32 (or int64) .npy reference file."""
    a = array.detach().cpu().numpy() if torch.is_tensor(array) else np.asarray(array)
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    np.save(os.path.join(out_dir, name), a)


def out_dir():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    return d


def versioned_dir(name, *scripts):
    """<ref dir>/<name>, emptied first when any of `scripts` (files beside this one; common.py always
    counts) or torch changed since the files in it were written: work already done is kept
    across test runs, and never served stale."""
    import fcntl
    import hashlib
    import shutil
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for f in ("common.py",) + scripts:
        with open(os.path.join(here, f), "rb") as fh:
            h.update(fh.read())
    h.update(torch.__version__.encode())
    out = os.path.join(out_dir(), name)
    stamp = os.path.join(out, "version")
    # Locked: CTest runs one generator per torchvision family, two at a time, into one folder.
    with open(out + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(out) and (not os.path.exists(stamp) or open(stamp).read() != h.hexdigest()):
            shutil.rmtree(out)
        os.makedirs(out, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(h.hexdigest())
    return out
