"""sanity and the user's torch in one process: either import order, one LibTorch; torch tensors in,
torch tensors out; a torchvision model explained and checked from its module; and a BatchNorm after
a conv kept as its own module (its own randomization stage) by the in-memory export."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision

import sanity

IMPORTS_AND_LIBRARIES = """
import {first}, {second}, torchvision
maps = [line.split()[-1] for line in open("/proc/self/maps") if "libtorch_cpu" in line]
print(sorted(set(maps)))
"""


@pytest.mark.parametrize("first,second", [("torch", "sanity"), ("sanity", "torch")])
def test_either_import_order_shares_one_libtorch(first, second):
    code = IMPORTS_AND_LIBRARIES.format(first=first, second=second)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    libraries = eval(r.stdout.strip())
    # One libtorch_cpu.so mapped, and it is the one the torch package loads.
    assert len(libraries) == 1, libraries
    assert os.path.dirname(libraries[0]) == os.path.join(os.path.dirname(torch.__file__), "lib")


def resnet18():
    torch.manual_seed(0)
    net = torchvision.models.resnet18(num_classes=10).eval()
    # Random BatchNorm statistics, so that folding them or not makes a difference a test can see.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
    return net


def input_gradients(net, x, classes):
    xi = x.clone().requires_grad_(True)
    logits = net(xi)
    (grad,) = torch.autograd.grad(logits.gather(1, classes.view(-1, 1)).sum(), xi)
    return logits.detach(), grad


def test_resnet18_gradient_on_a_torch_tensor_equals_autograd():
    net = resnet18()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    maps = sanity.explain(net, x, "gradient", threads=2, progress=False)
    assert torch.is_tensor(maps["gradient"]) and maps["gradient"].dtype == torch.float32
    assert torch.is_tensor(maps.predicted)
    logits, grad = input_gradients(net, x, maps.predicted.long())
    assert torch.equal(maps.predicted.long(), logits.argmax(1))
    err = (maps["gradient"] - grad).abs().max() / grad.abs().max()
    assert err <= 1e-5, float(err)
    # NumPy in, NumPy out, the same maps.
    np_maps = sanity.explain(net, x.numpy(), "gradient", threads=2, progress=False)
    assert isinstance(np_maps["gradient"], np.ndarray)
    assert np.array_equal(np_maps["gradient"], maps["gradient"].numpy())


def test_resnet18_check_runs_one_cascading_stage(tmp_path):
    net = resnet18()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    df, _store = sanity.check(net, x, "gradient", checks="cascading", metrics="spearman_abs", layers="fc",
                              out=str(tmp_path / "study"), threads=2, progress=False)
    stages = sanity.stages(str(tmp_path / "study"))
    assert list(stages["label"]) == ["original", "fc"]
    randomized = df[(df["stage"] == 1) & (df["metric"] == "spearman_abs")]
    assert len(randomized) == 2 and randomized["value"].notna().all()
    # Randomizing the classifier changes the gradient map: similarity below 1.
    assert (randomized["value"] < 0.99).all()


class ConvBatchNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(8 * 8 * 8, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).flatten(1))


def test_batchnorm_after_a_conv_is_its_own_stage(tmp_path):
    torch.manual_seed(3)
    net = ConvBatchNorm().eval()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-1, 1)
        net.bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    m = sanity.model(net, x[:1])
    assert "bn" in " ".join(m.layers()), m.layers()
    maps = sanity.explain(m, x, "gradient", threads=2, progress=False)
    logits, grad = input_gradients(net, x, maps.predicted.long())
    err = (maps["gradient"] - grad).abs().max() / grad.abs().max()
    assert err <= 1e-5, float(err)
    sanity.check(net, x, "gradient", checks="cascading", metrics="spearman_abs", out=str(tmp_path / "study"),
                 threads=2, progress=False)
    labels = list(sanity.stages(str(tmp_path / "study"))["label"])
    assert labels[0] == "original" and len(labels) == 4, labels  # original, fc, bn, conv
    assert any("bn" in label for label in labels) and any("conv" in label for label in labels), labels


def test_python_dash_m_runs_the_command_line():
    r = subprocess.run([sys.executable, "-m", "sanity", "--version"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sanity " + sanity.__version__)
    assert "LibTorch " + torch.__version__.split("+")[0] in r.stdout


class UserModel(torch.nn.Module):
    """The layers users bring beyond the torchvision families: a BatchNorm after a conv, GroupNorm,
    bilinear Upsample, an elementwise torch.where on a computed tensor, nn.MultiheadAttention."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.gn = torch.nn.GroupNorm(2, 8)
        self.up = torch.nn.Upsample(scale_factor=2, mode="bilinear")
        self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        h = self.gn(torch.relu(self.bn(self.conv(x))))
        h = self.up(h)
        h = torch.where(h > 0.1, h, 0.5 * h)
        t = torch.nn.functional.avg_pool2d(h, 4).flatten(2).transpose(1, 2)
        a, _ = self.attn(t, t, t, need_weights=False)
        return self.fc(a.mean(1))


def user_model():
    torch.manual_seed(5)
    net = UserModel().eval()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-1, 1)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.gn.weight.uniform_(0.5, 1.5)
        net.gn.bias.uniform_(-0.5, 0.5)
    return net


def expect_logits_and_gradient(net, m, x):
    maps = sanity.explain(m, x, "gradient", threads=2, progress=False)
    logits, grad = input_gradients(net, x, maps.predicted.long())
    assert torch.equal(maps.predicted.long(), logits.argmax(1))
    err = (maps["gradient"] - grad).abs().max() / grad.abs().max()
    assert err <= 1e-5, float(err)
    return maps


def test_user_layers_explained_from_the_module(tmp_path):
    net = user_model()
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(6))
    m = sanity.model(net, x[:1])
    summary = m.summary()
    for kind in ("instancenorm", "resize", "compare", "where", "batchnorm"):
        assert kind in summary, (kind, summary)
    expect_logits_and_gradient(net, m, x)
    sanity.check(net, x, "gradient", checks="cascading", metrics="spearman_abs", out=str(tmp_path / "study"),
                 threads=2, progress=False)
    labels = list(sanity.stages(str(tmp_path / "study"))["label"])
    bn = [label for label in labels if "bn" in label]
    assert len(bn) == 1 and "conv" not in bn[0], labels  # the BatchNorm is a stage of its own
    assert any("gn" in label for label in labels), labels


def test_user_layers_from_a_dynamo_export(tmp_path):
    # torch.onnx.export's default exporter writes the same operators; it folds the BatchNorm into the conv.
    # An example batch of 2: torch.export fixes a dimension whose example size is 1 (the MHA reshapes).
    net = user_model()
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(7))
    path = str(tmp_path / "user_model.onnx")
    batch = torch.export.Dim("batch", min=1)
    torch.onnx.export(net, (x[:2],), path, dynamo=True, input_names=["input"], output_names=["logits"],
                      dynamic_shapes={"x": {0: batch}}, verbose=False)
    expect_logits_and_gradient(net, sanity.model(path), x)


def test_a_file_with_batchnorm_folded_is_said_in_the_report(tmp_path):
    # torch.onnx.export's TorchScript defaults (eval mode, constant folding) fold the BatchNorm into the
    # conv: the run records it and the report says it.
    torch.manual_seed(8)
    net = ConvBatchNorm().eval()
    x = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(9))
    path = str(tmp_path / "folded.onnx")
    torch.onnx.export(net, (x[:1],), path, dynamo=False, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    study = str(tmp_path / "study")
    sanity.check(path, x, "gradient", checks="cascading", metrics="spearman_abs", out=study, threads=2,
                 progress=False)
    assert [label for label in sanity.stages(study)["label"] if "bn" in label] == []
    html = open(sanity.report(study)).read()
    assert "Note on the model: 1 of 1 convs hold a BatchNorm the exporter folded into them" in html
