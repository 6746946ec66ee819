"""Fixtures of the Python module's tests: a tiny PyTorch CNN (random weights, seeded), its ONNX file
exported by torch.onnx.export, a few random images, and the `sanity` CLI to compare with
(SANITY_CLI, set by CTest; PYTHONPATH points at build/python)."""
import json
import os
import subprocess

import numpy as np
import pytest
import torch

import sanity

CLI = os.environ.get("SANITY_CLI", os.path.join(os.path.dirname(__file__), "../../build/sanity"))


class TinyCNN(torch.nn.Module):
    """Conv, ReLU, max pooling and linear layers like the papers' MNIST CNN, on 1 x 16 x 16 inputs;
    TinyCNN(32, 64, 1024, kernel=5, side=28) is that CNN (the built-in "cnn")."""

    def __init__(self, c1=4, c2=8, hidden=16, kernel=3, side=16):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, c1, kernel, padding=kernel // 2)
        self.conv2 = torch.nn.Conv2d(c1, c2, kernel, padding=kernel // 2)
        self.fc1 = torch.nn.Linear(c2 * (side // 4) ** 2, hidden)
        self.fc2 = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


@pytest.fixture(scope="session")
def net():
    torch.manual_seed(0)
    return TinyCNN().eval()


@pytest.fixture(scope="session")
def images():
    rng = np.random.default_rng(0)
    return rng.random((6, 1, 16, 16), dtype=np.float32)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("sanity")


@pytest.fixture(scope="session")
def onnx_path(net, workdir):
    """The module exported the way a user would, independently of sanity.model()."""
    path = str(workdir / "tiny.onnx")
    torch.onnx.export(net, torch.zeros(1, 1, 16, 16), path, opset_version=13, dynamo=False, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    return path


@pytest.fixture(scope="session")
def images_path(images, workdir):
    path = str(workdir / "images.npy")
    np.save(path, images)
    return path


def run_cli(*args, check=True):
    """The CLI with two threads and no progress; returns the completed process."""
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("sanity %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def cli_error(*args):
    """The CLI's one-line error for bad input: (exit code, message without 'error: ')."""
    p = run_cli(*args, check=False)
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), p.stderr
    return p.returncode, line[len("error: "):]


def cli_maps(out):
    """The maps `sanity explain` wrote, by spec as given, and its explain.json."""
    with open(os.path.join(out, "explain.json")) as f:
        info = json.load(f)
    return {m["spec"]: np.load(os.path.join(out, m["file"])) for m in info["methods"]}, info


@pytest.fixture(scope="session")
def model(onnx_path):
    return sanity.model(onnx_path)
