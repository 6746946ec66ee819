"""The Python steps of scripts/gpu.sh run (docs/GPU.md): the methods to compare, the ResNet-50 to
explain, and the comparison of two `sanity explain` outputs.

    gpu_checks.py methods SANITY_CLI [--light]
        every method that needs no training data, comma-separated for --methods (wrappers around
        gradient); --light: fewer IG steps and noisy copies (the CPU mode's sizes)
    gpu_checks.py export-resnet50 DIR N
        DIR/resnet50.onnx (torchvision, random weights, seed 0, BatchNorm folded as the default
        TorchScript export does) and DIR/resnet50-images.npy (N images, N(0, 1), seed 1)
    gpu_checks.py compare-maps REFERENCE_DIR DEVICE_DIR [--min-pearson 0.999]
        per method and image: the same target class, and the Pearson correlation of the two maps;
        exit status 1 if any image falls short
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

FIT_OPTION = "fit_count"  # methods with it fit on training data (PatternNet, PatternAttribution)


def list_methods(cli, light):
    """Method names from `sanity list methods`: a line per method, `name(options)  what it is`, with a
    wrapper's options starting with its method, `smoothgrad(M, n=50, sigma=0.15)`."""
    text = subprocess.run([cli, "list", "methods"], check=True, capture_output=True, text=True).stdout
    methods = []
    for line in text.splitlines():
        m = re.match(r"^  ([a-z_0-9]+)(\(([^)]*)\))?  ", line)
        if m:
            options = m.group(3) or ""
            methods.append({"name": m.group(1), "wrapper": options.split(",")[0] == "M", "fit": FIT_OPTION in options})
    specs = []
    for m in methods:
        if m["fit"]:
            continue
        name = m["name"]
        if m["wrapper"]:
            specs.append(f"{name}(gradient, n=4)" if light else f"{name}(gradient)")
        elif name == "integrated_gradients" and light:
            specs.append("integrated_gradients(steps=8)")
        else:
            specs.append(name)
    if not specs:
        sys.exit(f"{cli} list methods: no method found in its output")
    return specs


def export_resnet50(out_dir, n):
    import torch
    import torchvision
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn((n, 3, 224, 224), generator=torch.Generator().manual_seed(1))
    path = os.path.join(out_dir, "resnet50.onnx")
    torch.onnx.export(model, x[:1], path + ".tmp", opset_version=17, dynamo=False, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    os.replace(path + ".tmp", path)
    np.save(os.path.join(out_dir, "resnet50-images.npy"), x.numpy().astype(np.float32))


def pearson(a, b):
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    a, b = a - a.mean(), b - b.mean()
    na, nb = np.sqrt((a * a).sum()), np.sqrt((b * b).sum())
    if na == 0 or nb == 0:  # a constant map (the constant baseline): equal maps agree
        return 1.0 if na == nb and np.array_equal(a, b) else 0.0
    return float((a * b).sum() / (na * nb))


def compare_maps(ref_dir, dev_dir, min_pearson):
    ref = json.load(open(os.path.join(ref_dir, "explain.json")))
    dev = json.load(open(os.path.join(dev_dir, "explain.json")))
    name = os.path.basename(os.path.normpath(dev_dir))
    ok = True
    if len(ref["targets"]) != len(dev["targets"]):
        print(f"{name}: {len(ref['targets'])} images against {len(dev['targets'])}")
        return 1
    if ref["targets"] != dev["targets"]:
        differ = [i for i, (a, b) in enumerate(zip(ref["targets"], dev["targets"])) if a != b]
        print(f"{name}: the target classes differ at {len(differ)} images, e.g. image {differ[0]}: "
              f"{ref['targets'][differ[0]]} against {dev['targets'][differ[0]]}")
        ok = False
    rows = []
    for m_ref, m_dev in zip(ref["methods"], dev["methods"]):
        a = np.load(os.path.join(ref_dir, m_ref["file"]))
        b = np.load(os.path.join(dev_dir, m_dev["file"]))
        if m_ref["spec"] != m_dev["spec"] or a.shape != b.shape:
            print(f"{name}: {m_ref['spec']} {a.shape} and {m_dev['spec']} {b.shape} do not match")
            ok = False
            continue
        r = [pearson(a[i], b[i]) for i in range(a.shape[0])]
        worst = int(np.nanargmin(r)) if not np.isnan(r).all() else 0
        passed = all(v >= min_pearson for v in r)  # NaN fails
        ok &= passed
        rows.append((m_ref["spec"], min(r), worst, passed, np.array_equal(a, b), not a.any()))
    failing = [row for row in rows if not row[3]]
    lowest = min(rows, key=lambda row: row[1]) if rows else None
    print(f"{len(rows)} methods x {len(ref['targets'])} images, same target classes: "
          f"{ref['targets'] == dev['targets']}; lowest Pearson {lowest[1]:.9f} ({lowest[0]}, image {lowest[2]}); "
          f"maps equal bit for bit: {sum(row[4] for row in rows)} methods" if lowest else f"{name}: no methods")
    zero = [row[0] for row in rows if row[5]]
    if zero:  # they agree whatever the device computes: a model that learned nothing, say
        print(f"  all zero (agreeing trivially): {', '.join(zero)}")
    for spec, r, i, _, _, _ in failing:
        print(f"  below {min_pearson}: {spec}: Pearson {r:.6f} at image {i}")
    return 0 if ok and rows else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("methods")
    m.add_argument("cli")
    m.add_argument("--light", action="store_true")
    e = sub.add_parser("export-resnet50")
    e.add_argument("dir")
    e.add_argument("n", type=int)
    c = sub.add_parser("compare-maps")
    c.add_argument("reference")
    c.add_argument("device")
    c.add_argument("--min-pearson", type=float, default=0.999)
    a = p.parse_args()
    if a.command == "methods":
        print(",".join(list_methods(a.cli, a.light)))
        return 0
    if a.command == "export-resnet50":
        export_resnet50(a.dir, a.n)
        return 0
    return compare_maps(a.reference, a.device, a.min_pearson)


if __name__ == "__main__":
    sys.exit(main())
