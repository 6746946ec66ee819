"""PyTorch side of bench_engine: forward + backward (input gradient of one logit per image) throughput.

Usage: engine_pytorch.py MODEL_DIR --threads N --seconds S
Exports ResNet-50 (random weights, BatchNorm kept so both sides do the same work) to
MODEL_DIR/resnet50_bn.onnx if it is missing, then prints one JSON line per model:
{"name": ..., "batch": ..., "images_per_second": ...}.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import common  # noqa: E402

CASES = [("mnist_cnn", 256), ("resnet50", 16)]


def input_gradient(model, x, classes):
    xi = x.clone().requires_grad_(True)
    logits = model(xi)
    logits.gather(1, classes.view(-1, 1)).sum().backward()
    return xi.grad


def throughput(model, name, batch, seconds):
    x = common.make_input(name, batch)
    classes = torch.arange(batch) % 10
    input_gradient(model, x, classes)  # warm-up: oneDNN primitives, allocator
    start, images = time.perf_counter(), 0
    while images < 3 * batch or time.perf_counter() - start < seconds:
        input_gradient(model, x, classes)
        images += batch
    return images / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model_dir")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=5.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.model_dir, exist_ok=True)
    for name, batch in CASES:
        model = common.make_model(name, seed=0)
        for param in model.parameters():
            param.requires_grad_(False)  # the input gradient only, as sanity's backward sweep computes
        if name == "resnet50":
            common.export(model, name, os.path.join(a.model_dir, "resnet50_bn.onnx"), opset=13, fold_batchnorm=False)
        rate = throughput(model, name, batch, a.seconds)
        print(json.dumps({"name": name, "batch": batch, "images_per_second": rate}), flush=True)


if __name__ == "__main__":
    main()
