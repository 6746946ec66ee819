"""The hostile-input probe: builds bad inputs of every kind sanity reads (options, .npy arrays, label
files, ONNX files, image folders, study configs, LRP rules files, method specs, stores, shards, and
the Python module's arguments), runs each command or call on them with a time limit, and classifies
every outcome:

  ok      as promised: one line "error: ..." and exit 2 (3: valid but unsupported), or, for a case
          that must be accepted, exit 0 (with its note, where one is expected)
  silent  a case that must be refused exits 0
  unclear exit 1 (internal error), several lines, or a line that is not "error: ..."
  crash   killed by a signal (SIGSEGV, SIGABRT, ...)
  hang    still running at the time limit
  wrong   a case that must be accepted is refused, or exits 0 without its note

Usage: probe.py SANITY [--fast] [--jobs N] [--keep DIR] [--only PREFIX]. --fast runs every fifth case (CI); the whole
probe is scripts/probe.sh. Exit 0 only when every case is ok. Cases that sanity accepts on purpose
are listed in docs/RELIABILITY.md with the reason.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib

import numpy as np

REFUSE, ACCEPT = "refuse", "accept"


class Case:
    """A command line (args), or a Python call of the sanity module (python: code after PY_PRELUDE)."""
    def __init__(self, name, args, expect=REFUSE, note=None, timeout=60, python=None):
        self.name, self.args, self.expect, self.note, self.timeout = name, args, expect, note, timeout
        self.python = python


def npy_bytes(header, body=b""):
    """A .npy file with the header dictionary text `header` (padded as numpy pads it)."""
    h = header.encode()
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def not_files(d, ext):
    """Paths with the right extension that are no file: a folder, a symbolic-link loop, nothing."""
    os.makedirs(f"{d}/folder.{ext}", exist_ok=True)
    if not os.path.lexists(f"{d}/loop.{ext}"):
        os.symlink(f"{d}/loop.{ext}", f"{d}/loop.{ext}")
    return {"folder": f"{d}/folder.{ext}", "link-loop": f"{d}/loop.{ext}", "missing": f"{d}/nothing.{ext}"}


# --- fixtures --------------------------------------------------------------------------------------

def make_fixtures(d):
    """Valid inputs the bad ones are made from: images, labels, a small ONNX model, a study."""
    rng = np.random.default_rng(0)
    np.save(f"{d}/x.npy", rng.random((4, 1, 28, 28), dtype=np.float32))
    np.save(f"{d}/y.npy", np.array([1, 2, 3, 4]))
    import torch
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 26 * 26, 10))
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.zeros(1, 1, 28, 28), f"{d}/m.onnx", dynamo=False, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    os.makedirs(f"{d}/imgs/cat", exist_ok=True)
    os.makedirs(f"{d}/imgs/dog", exist_ok=True)
    for i, c in enumerate(("cat", "dog")):
        write(f"{d}/imgs/{c}/a.pgm", b"P5\n28 28\n255\n" + bytes([40 + 30 * i]) * 784)


def data_commands(d, out):
    """Every command that reads --data, with valid other arguments."""
    m, q = f"{d}/m.onnx", ["--quiet", "--threads", "1"]
    return {
        "explain": ["explain", "--model", m, "--methods", "gradient", "--out", out] + q,
        "evaluate": ["evaluate", "--model", m, "--threads", "1"],
        "check": ["check", "--model", m, "--methods", "gradient", "--checks", "cascading", "--metrics", "spearman_abs",
                  "--out", out] + q,
        "faithfulness": ["faithfulness", "--model", m, "--methods", "gradient", "--out", out] + q,
        "csc": ["csc", "--model", m, "--methods", "gradient", "--out", out] + q,
    }


def model_commands(d, out):
    x, q = f"{d}/x.npy", ["--quiet", "--threads", "1"]
    return {
        "info": ["info"],
        "explain": ["explain", "--data", x, "--methods", "gradient", "--out", out] + q,
        "evaluate": ["evaluate", "--data", x, "--threads", "1"],
        "check": ["check", "--data", x, "--methods", "gradient", "--checks", "cascading", "--out", out] + q,
        "faithfulness": ["faithfulness", "--data", x, "--methods", "gradient", "--out", out] + q,
        "csc": ["csc", "--data", x, "--methods", "gradient", "--out", out] + q,
    }


# --- hostile inputs, by reader ---------------------------------------------------------------------

def bad_arrays(d):
    f4 = np.zeros((2, 1, 28, 28), np.float32).tobytes()
    std = "'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28)"
    files = {
        "empty-file": b"",
        "bad-magic": b"\x93NUMPX\x01\x00" + b"\x00" * 100,
        "version-9": b"\x93NUMPY\x09\x00" + b"\x00" * 100,
        "header-past-end": b"\x93NUMPY\x01\x00\xff\xff{",
        "unbalanced-brace": npy_bytes("{" + std + ", ", f4),
        "extra-key": npy_bytes("{" + std + ", 'x': 1}", f4),
        "missing-shape": npy_bytes("{'descr': '<f4', 'fortran_order': False}", f4),
        "missing-order": npy_bytes("{'descr': '<f4', 'shape': (2, 1, 28, 28)}", f4),
        "order-7": npy_bytes("{'descr': '<f4', 'fortran_order': 7, 'shape': (2, 1, 28, 28)}", f4),
        "fortran": npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1, 28, 28)}", f4),
        "repeated-key": npy_bytes("{" + std + ", 'shape': (2, 1, 28, 28)}", f4),
        "negative-dim": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 1, 28, 28)}", f4),
        "garbled-dim": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (abc, 1, 28, 28)}", f4),
        "open-tuple": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28}", f4),
        "overflow": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 9999999)}"),
        "huge-promise": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (400000000, 1, 28, 28)}", f4),
        "float16": npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 1, 28, 28)}", f4[: len(f4) // 2]),
        "big-endian": npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 1, 28, 28)}", f4),
        "object": npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", b"\x00" * 16),
        "short-body": npy_bytes("{" + std + "}", f4[:-4]),
        "long-body": npy_bytes("{" + std + "}", f4 + b"\x00" * 4),
        "zero-images": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 28, 28)}"),
        "three-dims": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 28, 28)}", f4),
        "uint8": npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1, 28, 28)}", b"\x00" * 1568),
        "text-after": npy_bytes("{" + std + "} x", f4),
    }
    out = {k: write(f"{d}/{k}.npy", v) for k, v in files.items()}
    nan = np.zeros((2, 1, 28, 28), np.float32)
    nan[1, 0, 3, 3] = np.nan
    np.save(f"{d}/nan.npy", nan)
    out["nan"] = f"{d}/nan.npy"
    np.save(f"{d}/inf.npy", np.full((2, 1, 28, 28), np.inf, np.float32))
    out["inf"] = f"{d}/inf.npy"
    np.save(f"{d}/wrong-size.npy", np.zeros((2, 1, 32, 32), np.float32))
    out["wrong-size"] = f"{d}/wrong-size.npy"
    np.save(f"{d}/three-channels.npy", np.zeros((2, 3, 28, 28), np.float32))
    out["three-channels"] = f"{d}/three-channels.npy"
    out.update(not_files(d, "npy"))
    return out


def bad_labels(d):
    arrays = {"float": np.zeros(4, np.float32), "two-dims": np.zeros((4, 2), np.int64),
              "negative": np.array([0, -1, 2, 3]), "past-classes": np.array([0, 1, 2, 12]),
              "short": np.array([0, 1]), "long": np.arange(9), "huge": np.array([0, 1, 2, 2**40])}
    out = {}
    for k, v in arrays.items():
        np.save(f"{d}/labels-{k}.npy", v)
        out[k] = f"{d}/labels-{k}.npy"
    out["garbage"] = write(f"{d}/labels-garbage.npy", b"not numpy")
    return out


def onnx_varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def bad_models(d):
    good = open(f"{d}/m.onnx", "rb").read()
    files = {
        "empty": b"",
        "text": b"this is not a model\n",
        "truncated": good[: len(good) // 2],
        "garbage": bytes(range(256)) * 40,
        "one-byte": b"\x08",
        # ModelProto{ir_version=8, graph: {}} : no inputs, no outputs
        "empty-graph": b"\x08\x08" + b"\x3a\x00",
        # a field number past what protobuf allows, as a varint key
        "bad-field": onnx_varint((1 << 29) << 3) + b"\x00",
    }
    out = {k: write(f"{d}/{k}.onnx", v) for k, v in files.items()}
    out.update(not_files(d, "onnx"))
    out["unknown-builtin"] = "resnet9000"
    out.update(odd_models(d))
    return out


def odd_models(d):
    """Well-formed ONNX files sanity cannot explain: integer inputs, a kernel larger than the input,
    no outputs, two inputs, a rank-2 input."""
    import onnx
    from onnx import TensorProto, helper
    out = {}

    def save(name, nodes, inputs, outputs, inits=()):
        g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        onnx.save(m, f"{d}/{name}.onnx")
        out[name] = f"{d}/{name}.onnx"

    w = helper.make_tensor("w", TensorProto.FLOAT, [10, 1, 40, 40], np.zeros(16000, np.float32))
    conv = helper.make_node("Conv", ["input", "w"], ["c"])
    flat = helper.make_node("Flatten", ["c"], ["logits"])
    fin = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])
    save("kernel-past-input", [conv, flat], [fin], [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
         [w])
    w3 = helper.make_tensor("w", TensorProto.FLOAT, [10, 1, 3, 3], np.zeros(90, np.float32))
    pads = helper.make_node("Conv", ["input", "w"], ["c"], pads=[100000] * 4)
    save("huge-pads", [pads, helper.make_node("GlobalAveragePool", ["c"], ["g"]), helper.make_node("Flatten", ["g"], ["logits"])],
         [fin], [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], [w3])
    pool = helper.make_node("MaxPool", ["input"], ["p"], kernel_shape=[100000, 100000])
    save("huge-pool", [pool, helper.make_node("Flatten", ["p"], ["logits"])], [fin],
         [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1])])
    iin = helper.make_tensor_value_info("input", TensorProto.INT64, ["N", 1, 28, 28])
    save("integer-input", [helper.make_node("Flatten", ["input"], ["logits"])], [iin],
         [helper.make_tensor_value_info("logits", TensorProto.INT64, ["N", 784])])
    sin = helper.make_tensor_value_info("input", TensorProto.STRING, ["N", 1, 28, 28])
    save("string-input", [helper.make_node("Identity", ["input"], ["logits"])], [sin],
         [helper.make_tensor_value_info("logits", TensorProto.STRING, ["N", 1, 28, 28])])
    neg = helper.make_tensor_value_info("input", TensorProto.FLOAT, [-1, 1, -28, 28])
    save("negative-dims", [helper.make_node("Flatten", ["input"], ["logits"])], [neg],
         [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 784])])
    zero = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 0, 28, 28])
    save("zero-channels", [helper.make_node("Flatten", ["input"], ["logits"])], [zero],
         [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 0])])
    flat_in = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 784])
    save("rank-2-input", [helper.make_node("Relu", ["input"], ["logits"])], [flat_in],
         [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 784])])
    save("no-nodes", [], [fin], [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])])
    custom = helper.make_node("MyOp", ["input"], ["logits"], domain="my.domain")
    g = helper.make_graph([custom], "custom", [fin], [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.domain", 1)])
    m.ir_version = 8
    onnx.save(m, f"{d}/custom-op.onnx")
    out["custom-op"] = f"{d}/custom-op.onnx"
    return out


def bad_configs(d):
    texts = {
        "not-json": "models: cnn",
        "syntax": '{"models": [{"builtin": "cnn"},,]}',
        "trailing": '{"methods": ["gradient"]} x',
        "deep-objects": '{"a":' * 50000 + "1" + "}" * 50000,
        "deep-arrays": "[" * 200000 + "]" * 200000,
        "duplicate-key": '{"methods": ["gradient"], "methods": ["sobel"]}',
        "unknown-field": '{"methodz": ["gradient"]}',
        "models-not-array": '{"models": {"builtin": "cnn"}}',
        "models-empty": '{"models": []}',
        "escaping-name": '{"models": [{"name": "../../../escaped", "builtin": "cnn"}]}',
        "slash-name": '{"models": [{"name": "a/b", "builtin": "cnn"}]}',
        "hidden-name": '{"models": [{"name": ".hidden", "builtin": "cnn"}]}',
        "unknown-builtin": '{"models": [{"builtin": "resnet9000"}]}',
        "missing-onnx": '{"models": [{"name": "m", "onnx": "nothing.onnx", "data": "x.npy"}]}',
        "negative-count": '{"testbed": {"count": -4}}',
        "fraction-count": '{"testbed": {"count": 4.5}}',
        "string-count": '{"testbed": {"count": "many"}}',
        "huge-number": '{"testbed": {"count": 1e400}}',
        "unknown-split": '{"testbed": {"split": "validation"}}',
        "unknown-method": '{"methods": ["nosuch"]}',
        "unknown-check": '{"checks": ["nosuch"]}',
        "bad-metric": '{"metrics": "spearman_abs, nosuch"}',
        "empty-methods": '{"methods": []}',
        "methods-not-strings": '{"methods": [1, 2]}',
        "null": "null",
        "array-top": "[]",
        "bom-garbage": "\ufeff\x00\x01",
    }
    out = {k: write(f"{d}/config-{k}.json", v) for k, v in texts.items()}
    out.update(not_files(d, "json"))
    return out


def bad_rules(d):
    texts = {"syntax": "[{]", "deep": "[" * 100000 + "]" * 100000, "not-array": '{"kind": "conv"}',
             "unknown-kind": '[{"kind": "lstm", "rule": "epsilon"}]', "unknown-rule": '[{"kind": "conv", "rule": "magic"}]',
             "bad-eps": '[{"kind": "conv", "rule": "epsilon(eps=-1)"}]', "no-rule": '[{"kind": "conv"}]',
             "empty-file": ""}
    return {k: write(f"{d}/rules-{k}.json", v) for k, v in texts.items()}


def bad_method_specs():
    return ["nosuch", "gradient(", "gradient)", "smoothgrad(gradient, n=-1)", "smoothgrad(gradient, n=0)",
            "smoothgrad(gradient, n=1e99)", "smoothgrad(gradient, n=abc)", "smoothgrad(gradient, sigma=-0.1)",
            "smoothgrad(gradient, nosuch=1)", "integrated_gradients(steps=0)", "integrated_gradients(steps=-5)",
            "lrp_epsilon(eps=-1)", "gradient,gradient", "smoothgrad(smoothgrad(smoothgrad(gradient)))" + ")" * 3,
            "(" * 5000 + "gradient" + ")" * 5000, "gradcam(layer=nosuch)", "gradient(n=1)", ",", "gradient,,sobel",
            "lrp_z(rules=/nonexistent.json)"]


def bad_folders(d):
    out = {}
    os.makedirs(f"{d}/empty-folder", exist_ok=True)
    out["empty"] = f"{d}/empty-folder"
    os.makedirs(f"{d}/junk-folder/a", exist_ok=True)
    write(f"{d}/junk-folder/a/not-an-image.png", b"garbage")
    out["junk-image"] = f"{d}/junk-folder"
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)
    png += struct.pack(">I", zlib.crc32(png[12:29]))
    os.makedirs(f"{d}/truncated-png/a", exist_ok=True)
    write(f"{d}/truncated-png/a/x.png", png)
    out["truncated-png"] = f"{d}/truncated-png"
    os.makedirs(f"{d}/mixed-sizes/a", exist_ok=True)
    write(f"{d}/mixed-sizes/a/1.pgm", b"P5\n28 28\n255\n" + b"\x10" * 784)
    write(f"{d}/mixed-sizes/a/2.pgm", b"P5\n30 30\n255\n" + b"\x10" * 900)
    out["mixed-sizes"] = f"{d}/mixed-sizes"
    for name, classes in {"negative-class": ["-1", "0"], "mixed-classes": ["cat", "0"],
                          "huge-class": ["99999999999999999999", "0"]}.items():
        for c in classes:
            os.makedirs(f"{d}/{name}/{c}", exist_ok=True)
            write(f"{d}/{name}/{c}/a.pgm", b"P5\n28 28\n255\n" + b"\x10" * 784)
        out[name] = f"{d}/{name}"
    os.makedirs(f"{d}/bomb/a", exist_ok=True)
    # A PGM whose header promises 10^9 x 10^9 pixels.
    write(f"{d}/bomb/a/huge.pgm", b"P5\n1000000000 1000000000\n255\n" + b"\x00" * 64)
    out["pixel-bomb"] = f"{d}/bomb"
    return out


def bad_stores(d):
    out = {"garbage": write(f"{d}/garbage.sqlite", b"SQLite format 3\x00" + b"\xff" * 4096),
           "text": write(f"{d}/text.sqlite", "not a database\n"), "empty": write(f"{d}/empty.sqlite", b""),
           "missing": f"{d}/nothing.sqlite"}
    os.makedirs(f"{d}/folder.sqlite", exist_ok=True)
    out["folder"] = f"{d}/folder.sqlite"
    return out


# --- the cases -------------------------------------------------------------------------------------

def cases(d):
    out_dir = f"{d}/out"
    c = []
    for kind, path in bad_arrays(d).items():
        for cmd, args in data_commands(d, out_dir).items():
            c.append(Case(f"npy/{kind}/{cmd}", args + ["--data", path, "--count", "0"]))
    for kind, path in bad_labels(d).items():
        for cmd in ("evaluate", "check"):
            args = data_commands(d, out_dir)[cmd]
            c.append(Case(f"labels/{kind}/{cmd}", args + ["--data", f"{d}/x.npy", "--labels", path, "--count", "0"]))
    for kind, path in bad_models(d).items():
        for cmd, args in model_commands(d, out_dir).items():
            c.append(Case(f"onnx/{kind}/{cmd}", args + ["--model", path]))
    for kind, path in bad_configs(d).items():
        c.append(Case(f"config/{kind}/run", ["run", path, "--out", f"{d}/study-{kind}", "--quiet"]))
    for kind, path in bad_rules(d).items():
        for cmd in ("explain", "check"):
            args = data_commands(d, out_dir)[cmd]
            spec = [a if a != "gradient" else f"lrp_z(rules={path})" for a in args]
            c.append(Case(f"rules/{kind}/{cmd}", spec + ["--data", f"{d}/x.npy", "--count", "0"]))
    for i, spec in enumerate(bad_method_specs()):
        for cmd in ("explain", "check", "faithfulness"):
            args = [a if a != "gradient" else spec for a in data_commands(d, out_dir)[cmd]]
            c.append(Case(f"method/{i}:{spec[:30]}/{cmd}", args + ["--data", f"{d}/x.npy"]))
    # Class folders are names, numbered as torchvision's ImageFolder numbers them (docs/RELIABILITY.md):
    # accepted, with a note where a folder's name is a number other than its class.
    named = {"negative-class": "folder '-1' is class 0", "huge-class": "is class 1", "mixed-classes": None}
    for kind, path in bad_folders(d).items():
        for cmd in ("explain", "evaluate"):
            args = data_commands(d, out_dir)[cmd] + ["--data", path, "--channels", "1", "--count", "0"]
            if kind in named:
                c.append(Case(f"folder/{kind}/{cmd}", args, ACCEPT, named[kind]))
            else:
                c.append(Case(f"folder/{kind}/{cmd}", args))
    for kind, path in bad_stores(d).items():
        c.append(Case(f"store/{kind}/export", ["export", "--db", path, "--out", f"{d}/export-{kind}"]))
        c.append(Case(f"store/{kind}/report", ["report", "--study", os.path.dirname(path) + f"/study-of-{kind}"]))
        c.append(Case(f"store/{kind}/merge", ["merge", f"{d}/merged-{kind}", path]))
    c += option_cases(d, out_dir)
    c += accepted_cases(d, out_dir)
    return c


def option_cases(d, out_dir):
    c = []
    values = {"--count": ["-1", "0x10", "1e3", "99999999999999999999", "abc", ""],
              "--seed": ["-5", "0x10", "18446744073709551616", "1.5", ""],
              "--threads": ["0", "-1", "100000", "two"],
              "--batch-size": ["0", "-4", "0x8"],
              "--resize": ["32"], "--crop": ["20"], "--channels": ["1"], "--mean": ["0.5"],
              "--labels": [f"{d}/y.npy"], "--split": ["validation"], "--device": ["cuda:7", "tpu", ""],
              "--data-dir": [""]}
    for cmd, args in data_commands(d, out_dir).items():
        for opt, vals in values.items():
            if opt == "--batch-size" and cmd in ("evaluate", "csc"):
                continue
            if opt == "--labels" or opt == "--split":  # with a built-in dataset: it has its own labels; no split
                data = ["--data", "mnist", "--count", "4"] if opt == "--labels" else ["--data", f"{d}/x.npy"]
            else:
                data = ["--data", f"{d}/x.npy"]
            for v in vals:
                c.append(Case(f"option/{cmd}{opt}={v}", args + data + [opt, v]))
    check = data_commands(d, out_dir)["check"] + ["--data", f"{d}/x.npy"]
    for extra in (["--checks", ""], ["--checks", ","], ["--checks", "nosuch"], ["--checks", "cascading,cascading"],
                  ["--layers", ""], ["--layers", "nosuch"], ["--permuted-model", f"{d}/m.onnx"],
                  ["--checks", "data", "--permuted-model", f"{d}/m.onnx"], ["--checks", "data"],
                  ["--init", "magic"], ["--target", "best"], ["--grid-images", "-1"], ["--shard", "3/2"],
                  ["--shard", "0/0"], ["--shard", "x"], ["--metrics", "nosuch"], ["--metrics", ""],
                  ["--out", f"{d}/x.npy"]):
        c.append(Case(f"option/check{' '.join(extra)}", check + extra))
    faith = data_commands(d, out_dir)["faithfulness"] + ["--data", f"{d}/x.npy"]
    for extra in (["--patch", "0"], ["--patch", "28"], ["--patch", "64"], ["--pixels-per-step", "784"],
                  ["--pixels-per-step", "-1"], ["--replacement", "gray"], ["--steps", "-1"], ["--order", "random"]):
        c.append(Case(f"option/faithfulness{' '.join(extra)}", faith + extra))
    train = ["train", "--model", "cnn", "--dataset", "mnist", "--out", f"{d}/train", "--quiet"]
    for extra in (["--lr", "inf"], ["--lr", "-1"], ["--lr", "nan"], ["--epochs", "0"], ["--epochs", "-1"],
                  ["--subset", "-5"], ["--model", "resnet"], ["--dataset", "cifar"], ["--batch-size", "0"],
                  ["--lr-schedule", "step"]):
        c.append(Case(f"option/train{' '.join(extra)}", train + extra))
    for extra in (["--nosuch"], ["explain", "--model"], ["nosuchcommand"]):
        c.append(Case(f"option/cli {' '.join(extra)}", extra))
    return c


def accepted_cases(d, out_dir):
    """Inputs that must work (so that a probe refusing everything fails)."""
    explain = data_commands(d, out_dir)["explain"]
    keys = write(f"{d}/reordered.npy", npy_bytes("{'shape': (2, 1, 28, 28), 'fortran_order': False, 'descr': '<f4'}",
                                                 np.zeros((2, 1, 28, 28), np.float32).tobytes()))
    return [Case("accept/npy", explain + ["--data", f"{d}/x.npy"], ACCEPT),
            Case("accept/npy-keys-reordered", explain + ["--data", keys], ACCEPT),
            Case("accept/count-past-data", explain + ["--data", f"{d}/x.npy", "--count", "100"], ACCEPT,
                 "note: --count 100, but"),
            Case("accept/folder", explain + ["--data", f"{d}/imgs", "--channels", "1"], ACCEPT),
            Case("accept/labels", data_commands(d, out_dir)["evaluate"] + ["--data", f"{d}/x.npy", "--labels",
                                                                            f"{d}/y.npy"], ACCEPT)]


# --- the Python module -----------------------------------------------------------------------------

# Each Python case runs in its own interpreter (a crash kills only its case) and prints one line
# "RESULT <returned|error|other> <type>" and then the exception's text: an error is one of sanity's
# (InputError, a ValueError; UnsupportedError, a NotImplementedError) with a one-line message.
PY_PRELUDE = """
import sys, numpy as np, torch, sanity
D = sys.argv[1]
M = D + "/m.onnx"
x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                          torch.nn.Linear(4 * 26 * 26, 10)).eval()
def call():
    return {call}
try:
    call()
    print("RESULT returned -")
except (sanity.InputError, sanity.UnsupportedError) as e:
    print("RESULT error", type(e).__name__)
    print(str(e))
except BaseException as e:  # Python's own TypeError and ValueError too: classify_python judges them
    print("RESULT other", type(e).__name__)
    print(str(e))
"""


def python_cases(d):
    o = f"out='{d}/py-study'"
    refuse = {
        "explain/3d-images": "sanity.explain(M, x[0], 'gradient')",
        "explain/nan-images": "sanity.explain(M, np.full_like(x, np.nan), 'gradient')",
        "explain/object-images": "sanity.explain(M, x.astype(object), 'gradient')",
        "explain/complex-images": "sanity.explain(M, x.astype(np.complex64), 'gradient')",
        "explain/string-images": "sanity.explain(M, np.array([['a']]), 'gradient')",
        "explain/no-images": "sanity.explain(M, np.zeros((0, 1, 28, 28), np.float32), 'gradient')",
        "explain/wrong-channels": "sanity.explain(M, np.zeros((4, 3, 28, 28), np.float32), 'gradient')",
        "explain/wrong-size": "sanity.explain(M, np.zeros((4, 1, 20, 20), np.float32), 'gradient')",
        "explain/none-images": "sanity.explain(M, None, 'gradient')",
        "explain/missing-npy": "sanity.explain(M, D + '/nothing.npy', 'gradient')",
        "explain/missing-model": "sanity.explain(D + '/nothing.onnx', x, 'gradient')",
        "explain/model-int": "sanity.explain(42, x, 'gradient')",
        "explain/model-garbage-bytes": "sanity.explain(b'not onnx', x, 'gradient')",
        "explain/module-wrong-input": "sanity.explain(torch.nn.Linear(3, 2), x, 'gradient')",
        "explain/unknown-method": "sanity.explain(M, x, 'nosuch')",
        "explain/method-twice": "sanity.explain(M, x, ['gradient', 'gradient'])",
        "explain/methods-int": "sanity.explain(M, x, 5)",
        "explain/methods-empty": "sanity.explain(M, x, [])",
        "explain/bad-option": "sanity.explain(M, x, 'smoothgrad(n=-3)')",
        "explain/targets-short": "sanity.explain(M, x, 'gradient', targets=[1, 2])",
        "explain/targets-range": "sanity.explain(M, x, 'gradient', targets=[99] * 4)",
        "explain/targets-float": "sanity.explain(M, x, 'gradient', targets=[0.5] * 4)",
        "explain/labels-short": "sanity.explain(M, x, 'gradient', labels=np.arange(3))",
        "explain/batch-zero": "sanity.explain(M, x, 'gradient', batch_size=0)",
        "explain/batch-negative": "sanity.explain(M, x, 'gradient', batch_size=-2)",
        "explain/threads-zero": "sanity.explain(M, x, 'gradient', threads=0)",
        "explain/device-absent": "sanity.explain(M, x, 'gradient', device='cuda:7')",
        "explain/unknown-data-option": "sanity.explain(M, x, 'gradient', colour=3)",
        "explain/resize-arrays": "sanity.explain(M, x, 'gradient', resize=32)",
        "check/unknown-check": f"sanity.check(M, x, 'gradient', checks='nosuch', {o})",
        "check/no-checks": f"sanity.check(M, x, 'gradient', checks='', {o})",
        "check/unknown-metric": f"sanity.check(M, x, 'gradient', metrics='nosuch', {o})",
        "check/unknown-layer": f"sanity.check(M, x, 'gradient', checks='cascading', layers='nosuch', {o})",
        "check/bad-init": f"sanity.check(M, x, 'gradient', init='magic', {o})",
        "check/bad-target": f"sanity.check(M, x, 'gradient', target='best', {o})",
        "check/out-is-file": "sanity.check(M, x, 'gradient', out=M)",
        "check/permuted-without-data": f"sanity.check(M, x, 'gradient', permuted_model=M, {o})",
        "faithfulness/patch-zero": f"sanity.faithfulness(M, x, 'gradient', patch=0, {o})",
        "faithfulness/patch-whole": f"sanity.faithfulness(M, x, 'gradient', patch=28, {o})",
        "faithfulness/bad-replacement": f"sanity.faithfulness(M, x, 'gradient', replacement='gray', {o})",
        "csc/bad-start": "sanity.csc(M, x, 'lrp_z', start='middle')",
        "csc/samples-zero": "sanity.csc(M, x, 'lrp_z', samples=0)",
        "run/unknown-field": f"sanity.run({{'nosuch': 1}}, {o})",
        "run/methods-int": f"sanity.run({{'methods': 5}}, {o})",
        "run/missing-file": "sanity.run(D + '/nothing.json')",
        "run/not-a-config": "sanity.run(42)",
        "data/unknown-split": "sanity.data('mnist', split='validation')",
        "data/negative-count": "sanity.data('mnist', count=-1)",
        "data/missing-folder": "sanity.data(D + '/nothing')",
        "load/missing-study": "sanity.load(D + '/nothing')",
        "report/missing-study": "sanity.report(D + '/nothing')",
    }
    accept = {"explain/onnx-numpy": "sanity.explain(M, x, 'gradient')",
              "explain/module-tensor": "sanity.explain(net, torch.from_numpy(x), 'gradient')"}
    return ([Case(f"python/{k}", [], python=v) for k, v in refuse.items()] +
            [Case(f"python/{k}", [], ACCEPT, python=v) for k, v in accept.items()])


# --- running and classifying -----------------------------------------------------------------------

# A library's own words in an error line: one line, but not ours.
LIBRARY_TEXT = ("[enforce fail", "c10::", "json.exception", "OpenCV(", "libpng", "Exception raised from",
                "DefaultCPUAllocator", "basic_string", "std::", "what():")


def classify(case, rc, output, timed_out):
    lines = [l for l in output.splitlines() if l.strip()]
    if timed_out:
        return "hang"
    if rc < 0 or rc in (134, 136, 139):
        return "crash"
    if case.expect == ACCEPT:
        if rc != 0:
            return "wrong"
        return "ok" if case.note is None or case.note in output else "wrong"
    if rc == 0:
        return "silent"
    if rc in (2, 3) and len(lines) == 1 and lines[0].startswith("error: ") and not any(m in output for m in LIBRARY_TEXT):
        return "ok"
    return "unclear"


# Python's own exception types for a wrong argument (TypeError, ValueError) are clear errors too,
# when their message is one line in our words.
PY_ERRORS = ("InputError", "UnsupportedError", "TypeError", "ValueError", "NotImplementedError")
PROGRESS_BAR = re.compile(r"\|.*\| *\d+/\d+ \[")  # tqdm's bar, drawn on stderr while a call works


def classify_python(case, rc, output, timed_out):
    lines = [l for l in output.replace("\r", "\n").splitlines() if l.strip() and not PROGRESS_BAR.search(l)]
    if timed_out:
        return "hang"
    if rc < 0 or rc in (134, 136, 139):
        return "crash"
    result = next((l.split() for l in lines if l.startswith("RESULT ")), ["RESULT", "none", "-"])
    message = lines[lines.index(" ".join(result)) + 1:] if result[1] != "none" else lines
    if case.expect == ACCEPT:
        return "ok" if result[1] == "returned" else "wrong"
    if result[1] == "returned":
        return "silent"
    one_line = len(message) == 1 and not any(m in message[0] for m in LIBRARY_TEXT)
    return "ok" if result[1] in ("error", "other") and result[2] in PY_ERRORS and one_line else "unclear"


def run_case(sanity, case, env):
    if case.python is not None:
        return run_python_case(case, env)
    try:
        p = subprocess.run([sanity] + case.args, capture_output=True, timeout=case.timeout, env=env)
        output = (p.stdout + p.stderr).decode(errors="replace")
        return case, classify(case, p.returncode, output, False), p.returncode, output
    except subprocess.TimeoutExpired:
        return case, "hang", None, ""


def run_python_case(case, env):
    code = PY_PRELUDE.replace("{call}", case.python)
    try:
        p = subprocess.run([sys.executable, "-c", code, env["PROBE_DIR"]], capture_output=True, timeout=case.timeout,
                           env=env)
        output = (p.stdout + p.stderr).decode(errors="replace")
        return case, classify_python(case, p.returncode, output, False), p.returncode, output
    except subprocess.TimeoutExpired:
        return case, "hang", None, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sanity")
    ap.add_argument("--fast", action="store_true", help="every fifth case (CI)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", help="build the inputs here and keep them")
    ap.add_argument("--only", help="the cases whose name starts with this (e.g. python/, onnx/)")
    a = ap.parse_args()
    d = a.keep or tempfile.mkdtemp(prefix="sanity-probe-")
    os.makedirs(d, exist_ok=True)
    d = os.path.abspath(d)
    make_fixtures(d)
    all_cases = cases(d)
    module = os.path.join(os.path.dirname(os.path.abspath(a.sanity)), "python")
    if os.path.isdir(os.path.join(module, "sanity")):
        all_cases += python_cases(d)
    else:
        print(f"probe: no Python module beside {a.sanity} ({module}/sanity): its cases are left out")
    if a.only:
        all_cases = [c for c in all_cases if c.name.startswith(a.only)]
    chosen = all_cases[::5] if a.fast else all_cases
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive", SANITY_DATA=os.environ.get("SANITY_DATA", ""),
               PROBE_DIR=d, PYTHONPATH=os.pathsep.join(filter(None, [module, os.environ.get("PYTHONPATH")])))
    if not env["SANITY_DATA"]:
        env.pop("SANITY_DATA")
    counts, bad = {}, []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for case, verdict, rc, output in pool.map(lambda c: run_case(a.sanity, c, env), chosen):
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict != "ok":
                bad.append((case, verdict, rc, output))
    for case, verdict, rc, output in sorted(bad, key=lambda b: (b[1], b[0].name)):
        shown = output.strip().replace("\n", " | ")[:300]
        print(f"{verdict:8} {case.name}  (exit {rc}): {shown}")
    print(f"probe: {len(chosen)} cases of {len(all_cases)}: " +
          ", ".join(f"{counts.get(k, 0)} {k}" for k in ("ok", "silent", "unclear", "crash", "hang", "wrong")))
    if not a.keep:
        shutil.rmtree(d, ignore_errors=True)
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
