"""Each bad input raises the documented exception (ValueError for bad input, NotImplementedError for
what is valid but unsupported) with the CLI's one-line message for the same input, and exit codes 2
and 3 on the CLI's side. A message whose subject is a CLI flag names the Python argument instead
("--target 10: ..." is "targets=10: ..." for explain): `python_words` below."""

import numpy as np
import pytest
import torch

import sanity
from conftest import cli_error


def python_words(cli_message, **renames):
    """The CLI's message as a Python call says it; every rename is written out here, so that the
    translation is checked, not assumed."""
    translated = sanity._api.in_python_words(cli_message, renames)
    if cli_message.startswith("--"):
        assert translated != cli_message and not translated.startswith("-")
    return translated


def python_error(exc, call):
    with pytest.raises(exc) as e:
        call()
    return str(e.value)


@pytest.fixture(scope="module")
def cli_explain(onnx_path, images_path, workdir):
    def run(*args, model=onnx_path, data=images_path):
        return cli_error("explain", "--model", model, "--data", data, "--out", str(workdir / "err"), "--no-png",
                         "--threads", "2", *args)
    return run


@pytest.mark.parametrize("methods", ["foo", "integrated_gradients(steps=0)", "gradient(", "smoothgrad(n=5)",
                                     "gradcam(layer=nope)", ""])
def test_bad_methods(model, images, cli_explain, methods):
    code, expected = cli_explain("--methods", methods)
    assert code == 2
    assert python_error(ValueError, lambda: sanity.explain(model, images, methods, progress=False)) == python_words(
        expected, data="x", target="targets")


def test_bad_arrays(model, images, workdir, cli_explain):
    cases = {"three_dims": images[0], "uint8": (images * 255).astype(np.uint8), "nan": images.copy(),
             "wrong_shape": images[:, :, :8, :8], "empty": images[:0]}
    cases["nan"][0, 0, 0, 0] = np.nan
    for name, x in cases.items():
        path = str(workdir / ("bad_%s.npy" % name))
        np.save(path, x)
        code, expected = cli_explain("--methods", "gradient", data=path)
        assert code == 2, name
        expected = expected.replace("--data " + path, "x").replace(path, "x")
        assert python_error(ValueError, lambda: sanity.explain(model, x, "gradient", progress=False)) == expected, name


def test_bad_targets_and_labels(model, images, cli_explain):
    code, expected = cli_explain("--methods", "gradient", "--target", "10")
    assert code == 2
    assert expected.startswith("--target 10: ")
    assert python_error(ValueError, lambda: sanity.explain(model, images, "gradient", 10, progress=False)) == \
        expected.replace("--target 10: ", "targets=10: ")
    with pytest.raises(ValueError, match="targets: a class is outside the model's outputs 0..9"):
        sanity.explain(model, images, "gradient", [0, 1, 2, 3, 4, 10], progress=False)
    with pytest.raises(ValueError, match=r"targets: expected one class per image \(6\)"):
        sanity.explain(model, images, "gradient", [0, 1], progress=False)
    with pytest.raises(ValueError, match="labels: label -1 is negative"):
        sanity.explain(model, images, "gradient", "true", labels=[0, 1, 2, 3, 4, -1], progress=False)
    with pytest.raises(ValueError, match="labels: 2 labels for 6 inputs"):
        sanity.explain(model, images, "gradient", "true", labels=[0, 1], progress=False)


def test_unsupported(images, workdir, cli_explain):
    # GradCAM needs a conv layer; the MLP has none.
    x = np.zeros((2, 1, 28, 28), np.float32)
    path = str(workdir / "mnist_like.npy")
    np.save(path, x)
    code, expected = cli_explain("--methods", "gradcam", model="mlp", data=path)
    assert code == 3
    assert python_error(NotImplementedError, lambda: sanity.explain("mlp", x, "gradcam", progress=False)) == expected

    # An ONNX operator outside the importer's set, from a module and from its file.
    class WithAbs(torch.nn.Module):
        def forward(self, x):
            return x.abs().flatten(1)[:, :10]

    onnx = str(workdir / "abs.onnx")
    torch.onnx.export(WithAbs(), torch.zeros(1, 1, 16, 16), onnx, opset_version=13, dynamo=False)
    code, expected = cli_explain("--methods", "gradient", model=onnx)
    assert code == 3 and "Abs" in expected
    assert python_error(NotImplementedError, lambda: sanity.model(onnx)) == expected
    from_module = python_error(NotImplementedError, lambda: sanity.explain(WithAbs(), images, "gradient"))
    assert from_module == expected.replace(onnx, "WithAbs")


def test_bad_models(workdir, onnx_path, images, cli_explain):
    missing = str(workdir / "missing.onnx")
    code, expected = cli_explain("--methods", "gradient", model=missing)
    assert code == 2
    assert python_error(ValueError, lambda: sanity.model(missing)) == expected
    with open(onnx_path, "rb") as f:
        truncated = f.read()[:100]
    path = str(workdir / "truncated.onnx")
    with open(path, "wb") as f:
        f.write(truncated)
    code, expected = cli_explain("--methods", "gradient", model=path)
    assert code == 2
    from_bytes = python_error(ValueError, lambda: sanity.model(truncated, name=path))
    assert from_bytes == expected.replace("corrupt file)", "corrupt bytes)")
    with pytest.raises(TypeError, match="expected an .onnx path"):
        sanity.model(42)
    with pytest.raises(ValueError, match="needs an example input"):
        sanity.model(torch.nn.Linear(2, 2))


def test_bad_check_options(model, images, workdir, onnx_path, images_path):
    out = str(workdir / "bad_check")
    code, expected = cli_error("check", "--model", onnx_path, "--data", images_path, "--methods", "gradient",
                               "--checks", "cascading,nope", "--out", out)
    assert code == 2
    assert python_error(ValueError, lambda: sanity.check(model, images, "gradient", checks="cascading,nope",
                                                         out=out, progress=False)) == python_words(expected, data="x")
    code, expected = cli_error("check", "--model", onnx_path, "--data", images_path, "--methods", "gradient",
                               "--metrics", "spearman(foo=1)", "--out", out)
    assert code == 2
    assert python_error(ValueError, lambda: sanity.check(model, images, "gradient", metrics="spearman(foo=1)",
                                                         out=out, progress=False)) == python_words(expected, data="x")
    with pytest.raises(ValueError, match="no results store"):
        sanity.load(str(workdir / "nowhere"))


def test_python_arguments(model, images):
    assert issubclass(sanity.InputError, ValueError) and issubclass(sanity.UnsupportedError, NotImplementedError)
    with pytest.raises(TypeError, match="unexpected keyword argument 'cout'"):
        sanity.explain(model, images, "gradient", cout=5)
    with pytest.raises(ValueError, match="count: an option of a data spec"):
        sanity.explain(model, images, "gradient", count=5)
    with pytest.raises(ValueError, match="^threads=100000: expected 1 to"):
        sanity.explain(model, images, "gradient", threads=100000)
    with pytest.raises(ValueError, match="x: give images"):
        sanity.explain(model, None, "gradient")
    with pytest.raises(TypeError, match="methods: expected"):
        sanity.explain(model, images, 5)
    with pytest.raises(TypeError, match="progress: expected"):
        sanity.explain(model, images, "gradient", progress="yes")
    # threads=0 is not "every core" (that is None): refused, as --threads 0 is.
    for bad in (0, -3):
        with pytest.raises(sanity.InputError, match="threads: expected 1 or more"):
            sanity.explain(model, images, "gradient", threads=bad, progress=False)
    with pytest.raises(TypeError, match="threads: expected an integer"):
        sanity.explain(model, images, "gradient", threads=1.5, progress=False)
    with pytest.raises(TypeError, match="config: expected None"):
        sanity.run(42)


def test_module_export_and_study_path_errors(model, images, workdir, onnx_path):
    # The module's own forward fails on the example: one line naming the module and the example's shape.
    with pytest.raises(sanity.InputError) as e:
        sanity.explain(torch.nn.Linear(3, 2), images, "gradient", progress=False)
    message = str(e.value)
    shape = [1] + list(images.shape[1:])
    assert message.startswith("model: exporting the Linear to ONNX with an example of shape %s failed" % shape)
    assert "RuntimeError" in message and "\n" not in message
    # out= names a file: refused before anything is written beside it.
    for call in (lambda: sanity.check(model, images, "gradient", out=onnx_path, progress=False),
                 lambda: sanity.faithfulness(model, images, "gradient", out=onnx_path, progress=False),
                 lambda: sanity.run(out=onnx_path, progress=False)):
        with pytest.raises(sanity.InputError, match="is a file; expected a study directory"):
            call()


def test_absent_device(model, images, workdir, cli_explain):
    """device= as --device: a device this machine lacks is the CLI's one line in Python words, from
    every function that takes it, before any work; a torch.device is taken as its name."""
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, cli = cli_explain("--methods", "gradient", "--device", "cuda")
    assert code == 2
    expected = python_words(cli)
    assert expected.startswith("device=cuda: ") and "\n" not in expected
    calls = {
        "explain": lambda d: sanity.explain(model, images, "gradient", device=d, progress=False),
        "check": lambda d: sanity.check(model, images, "gradient", out=str(workdir / "dev_check"), device=d,
                                        progress=False),
        "faithfulness": lambda d: sanity.faithfulness(model, images, "gradient", device=d, progress=False),
        "csc": lambda d: sanity.csc(model, images, "guided_backprop", device=d, progress=False),
        "run": lambda d: sanity.run(out=str(workdir / "dev_run"), device=d, progress=False),
    }
    for name, call in calls.items():
        assert python_error(sanity.InputError, lambda: call("cuda")) == expected, name
        assert python_error(sanity.InputError, lambda: call(torch.device("cuda"))) == expected, name
    assert not (workdir / "dev_run").exists()
    with pytest.raises(TypeError, match="device: expected"):
        sanity.explain(model, images, "gradient", device=0)
    on_cpu = sanity.explain(model, images, "gradient", device=torch.device("cpu"), progress=False)
    assert np.array_equal(on_cpu["gradient"], sanity.explain(model, images, "gradient", progress=False)["gradient"])


def test_precision_refused(model, images, workdir, cli_explain):
    """precision= as --precision: tf32 on the CPU (a CUDA format) is the CLI's one line in Python
    words from every function that takes it, before any work; a torch dtype is taken by its name."""
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, cli = cli_explain("--methods", "gradient", "--precision", "tf32")
    assert code == 2
    expected = python_words(cli)
    assert expected.startswith("precision=tf32: ") and "\n" not in expected
    calls = {
        "explain": lambda: sanity.explain(model, images, "gradient", precision="tf32", progress=False),
        "check": lambda: sanity.check(model, images, "gradient", out=str(workdir / "tf32_check"), precision="tf32",
                                      progress=False),
        "faithfulness": lambda: sanity.faithfulness(model, images, "gradient", precision="tf32", progress=False),
        "run": lambda: sanity.run(out=str(workdir / "tf32_run"), precision="tf32", progress=False),
    }
    for name, call in calls.items():
        assert python_error(sanity.InputError, call) == expected, name
    assert not (workdir / "tf32_run").exists()
    with pytest.raises(TypeError, match="precision: expected"):
        sanity.explain(model, images, "gradient", precision=16)
    with pytest.raises(sanity.InputError, match="expected torch.float32 or torch.bfloat16"):
        sanity.explain(model, images, "gradient", precision=torch.float16)
