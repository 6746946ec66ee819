"""PyTorch side of bench_engine: forward + backward (input gradient of one logit per image) throughput.

Usage: engine_pytorch.py MODEL_DIR --threads N --seconds S
           [--models mnist_cnn,resnet50,inception_v3,vit_b_16,convnext_tiny] [--device cpu|cuda] [--batch N]
Exports each torchvision model (random weights; BatchNorm kept in ResNet-50 and Inception v3 so both
sides do the same work) to MODEL_DIR/<name>.onnx (opset 17, dynamic batch) if it is missing, then
prints one JSON line per model: {"name": ..., "batch": ..., "images_per_second": ...}.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import common  # noqa: E402

CASES = [("mnist_cnn", 256), ("resnet50", 16), ("inception_v3", 16), ("vit_b_16", 16), ("convnext_tiny", 16)]
KEEP_BATCHNORM = ("resnet50", "inception_v3")


def input_gradient(model, x, classes):
    xi = x.clone().requires_grad_(True)
    logits = model(xi)
    logits.gather(1, classes.view(-1, 1)).sum().backward()
    return xi.grad


def finish_work(device):
    """Waits for the device's queued work, so that the clock measures it (a GPU runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(model, name, batch, seconds, device):
    x = common.make_input(name, batch).to(device)
    classes = (torch.arange(batch) % 10).to(device)
    input_gradient(model, x, classes)  # warm-up: oneDNN primitives or cuDNN's, allocator
    finish_work(device)
    start, images = time.perf_counter(), 0
    while images < 3 * batch or time.perf_counter() - start < seconds:
        input_gradient(model, x, classes)
        finish_work(device)
        images += batch
    return images / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model_dir")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--models", default="mnist_cnn,resnet50")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=0, help="every model's batch (0: each model's own)")
    a = p.parse_args()
    device = torch.device(a.device)
    torch.set_num_threads(a.threads)
    os.makedirs(a.model_dir, exist_ok=True)
    for name, batch in CASES:
        if name not in a.models.split(","):
            continue
        batch = a.batch or batch
        model = common.make_model(name, seed=0)
        if name != "mnist_cnn":  # before freezing: frozen, nn.MultiheadAttention takes a path with no export
            common.export(model, name, os.path.join(a.model_dir, f"{name}.onnx"), opset=17,
                          fold_batchnorm=name not in KEEP_BATCHNORM)
        for param in model.parameters():
            param.requires_grad_(False)  # the input gradient only, as sanity's backward sweep computes
        rate = throughput(model.to(device), name, batch, a.seconds, device)
        print(json.dumps({"name": name, "batch": batch, "images_per_second": rate}), flush=True)


if __name__ == "__main__":
    main()
