"""sanity.explain against the CLI on the same inputs, a torch.nn.Module against its exported ONNX,
PyTorch's own gradient, NumPy layouts, targets, and the GIL released while computing."""
import threading

import numpy as np
import torch

import sanity
from sanity import _inputs, _sanity
from conftest import cli_maps, run_cli

METHODS = ["gradient", "gradient_x_input", "integrated_gradients(steps=8)", "smoothgrad(gradient, n=4, sigma=0.2)",
           "vargrad(gradient, n=4)", "guided_backprop", "gradcam", "lrp_epsilon_plus_flat", "deeplift"]


def test_maps_equal_the_cli(model, onnx_path, images, images_path, workdir):
    maps = sanity.explain(model, images, METHODS, threads=2, progress=False, seed=3)
    out = str(workdir / "cli_explain")
    run_cli("explain", "--model", onnx_path, "--data", images_path, "--methods", ",".join(METHODS), "--out", out,
            "--no-png", "--threads", "2", "--quiet", "--seed", "3")
    expected, info = cli_maps(out)
    assert list(maps) == METHODS
    for spec in METHODS:
        assert maps[spec].dtype == np.float32 and maps[spec].shape == images.shape
        np.testing.assert_array_equal(maps[spec], expected[spec], err_msg=spec)
    assert maps.predicted.tolist() == info["predicted"] and maps.targets.tolist() == info["targets"]
    assert maps.specs["integrated_gradients(steps=8)"] == next(
        m["canonical"] for m in info["methods"] if m["spec"] == "integrated_gradients(steps=8)")
    # Integrated Gradients' completeness gap, per image, as explain.json records it.
    ig = next(m for m in info["methods"] if m["spec"] == "integrated_gradients(steps=8)")
    np.testing.assert_allclose(maps.diagnostics["integrated_gradients(steps=8)"]["completeness_gap"],
                               ig["diagnostics"]["completeness_gap"], rtol=0, atol=0)


def test_module_equals_its_onnx_and_pytorch_gradient(net, model, images):
    from_module = sanity.explain(net, images, METHODS, threads=2, progress=False)
    from_file = sanity.explain(model, images, METHODS, threads=2, progress=False)
    for spec in METHODS:
        np.testing.assert_array_equal(from_module[spec], from_file[spec], err_msg=spec)
    # The gradient itself, by PyTorch's autograd on the module (an independent implementation).
    x = torch.from_numpy(images.copy()).requires_grad_(True)
    logits = net(x)
    logits.gather(1, logits.argmax(1, keepdim=True)).sum().backward()
    np.testing.assert_allclose(from_module["gradient"], x.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_layouts_and_dtypes(model, images):
    base = sanity.explain(model, images, "gradient", threads=2, progress=False)["gradient"]
    # float32 in C order is used in place: the library's tensor sits on the array's memory.
    assert _inputs.array(images, "x") is images
    assert _sanity.view_address(images) == images.ctypes.data
    # Other layouts are converted once and give the same maps.
    swapped = np.ascontiguousarray(images.transpose(0, 1, 3, 2))
    strided = swapped.transpose(0, 1, 3, 2)  # the same values, W varying slowest
    assert not strided.flags.c_contiguous
    for x in (strided, images.astype(np.float64), images.astype(">f4"), torch.from_numpy(images)):
        np.testing.assert_array_equal(sanity.explain(model, x, "gradient", threads=2, progress=False)["gradient"], base)
    # The caller's array is left as it was.
    before = images.copy()
    sanity.explain(model, images, METHODS, threads=2, progress=False)
    np.testing.assert_array_equal(images, before)


def test_targets(model, images):
    n = len(images)
    labels = np.arange(n) % 10
    by_class = sanity.explain(model, images, "gradient", 3, threads=2, progress=False)
    by_list = sanity.explain(model, images, "gradient", [3] * n, threads=2, progress=False)
    np.testing.assert_array_equal(by_class["gradient"], by_list["gradient"])
    assert by_class.targets.tolist() == [3] * n
    true = sanity.explain(model, images, "gradient", "true", labels=labels, threads=2, progress=False)
    per_image = sanity.explain(model, images, "gradient", labels, threads=2, progress=False)
    np.testing.assert_array_equal(true["gradient"], per_image["gradient"])
    assert true.targets.tolist() == labels.tolist()
    predicted = sanity.explain(model, images, "gradient", threads=2, progress=False)
    assert not np.array_equal(predicted["gradient"], per_image["gradient"])


def test_gil_released(model):
    """Another Python thread runs while the library computes: with the GIL held it could not. The
    counter is read when the library's bar starts and when the method is done (both called from
    inside the computation), so only the computation's time counts."""
    x = np.random.default_rng(1).random((64, 1, 16, 16), dtype=np.float32)
    counts, done, marks = [0], threading.Event(), []

    class Marks:
        def start(self, label, total):
            marks.append(counts[0])

        def update(self, done_units, total, status):
            marks.append(counts[0])

        def end(self, completed):
            pass

    def count():
        while not done.is_set():
            counts[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        sanity.explain(model, x, "integrated_gradients(steps=256)", threads=1, progress=Marks())
    finally:
        done.set()
        t.join()
    assert len(marks) >= 2
    assert marks[-1] - marks[0] > 100000, marks  # the first update (0 done) comes with the start


def test_model_from_bytes(onnx_path, images):
    with open(onnx_path, "rb") as f:
        data = f.read()
    m = sanity.model(data)
    assert m.input_shape == [1, 16, 16]
    a = sanity.explain(data, images, "gradient", threads=2, progress=False)["gradient"]
    b = sanity.explain(onnx_path, images, "gradient", threads=2, progress=False)["gradient"]
    np.testing.assert_array_equal(a, b)
    assert m.layers()[0] == sanity.model(onnx_path).layers()[0]


def test_data_spec_equals_the_cli(workdir):
    """A data spec as --data: the same test bed and image ids as the CLI; sanity.data's arrays give
    the same gradients (noise-based methods draw from the image ids, which differ for arrays)."""
    methods = "gradient,smoothgrad(gradient, n=4)"
    maps = sanity.explain("cnn", "mnist", methods, count=8, threads=2, progress=False)
    out = str(workdir / "cli_mnist")
    run_cli("explain", "--model", "cnn", "--data", "mnist", "--count", "8", "--methods", methods, "--out", out,
            "--no-png", "--threads", "2", "--quiet")
    expected, info = cli_maps(out)
    for spec in expected:
        np.testing.assert_array_equal(maps[spec], expected[spec], err_msg=spec)
    assert maps.ids.tolist() == info["image_ids"] and maps.labels.tolist() == info["labels"]
    x, y = sanity.data("mnist", count=8)
    assert x.shape == (8, 1, 28, 28) and y.tolist() == info["labels"]
    np.testing.assert_array_equal(sanity.explain("cnn", x, "gradient", threads=2, progress=False)["gradient"],
                                  maps["gradient"])


def test_precision(model, images):
    """precision= decides the attribution passes' arithmetic, whatever torch.autocast surrounds the
    call: float32 (the default) inside an autocast region gives the float32 maps bit for bit; bf16
    (also as torch.bfloat16) gives float32 maps near them, not equal (autocast acted)."""
    f32 = sanity.explain(model, images, "gradient,guided_backprop", progress=False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = sanity.explain(model, images, "gradient,guided_backprop", progress=False)
    for spec in ("gradient", "guided_backprop"):
        np.testing.assert_array_equal(inside[spec], f32[spec], err_msg=spec)
    try:
        bf16 = sanity.explain(model, images, "gradient,guided_backprop", precision="bf16", progress=False)
    except sanity.InputError as e:
        assert "no bfloat16 arithmetic" in str(e)
        pytest.skip("this CPU has no bfloat16 arithmetic")
    as_dtype = sanity.explain(model, images, "gradient,guided_backprop", precision=torch.bfloat16, progress=False)
    for spec in ("gradient", "guided_backprop"):
        assert bf16[spec].dtype == np.float32
        np.testing.assert_array_equal(as_dtype[spec], bf16[spec], err_msg=spec)
        assert not np.array_equal(bf16[spec], f32[spec]), spec
        rho = [np.corrcoef(np.argsort(np.argsort(a.ravel())), np.argsort(np.argsort(b.ravel())))[0, 1]
               for a, b in zip(bf16[spec], f32[spec])]
        assert min(rho) > 0.9, (spec, rho)
