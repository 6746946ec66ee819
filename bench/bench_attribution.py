"""PyTorch side of bench_attribution.cpp: the same attributions written in plain PyTorch.

  bench_attribution.py export DIR            ONNX models (common.make_model weights) and inputs for the C++ side
  bench_attribution.py time DIR MODEL COUNT STEPS BATCH REPEATS THREADS METHOD
                                             times one method (and its per-sample loop, if any);
                                             prints one JSON object on stdout

Batched versions send the same rows through the network in the same batch sizes as sanity does;
the per-sample loop versions (SmoothGrad, IG) send one noisy copy / one IG step at a time, as a
straightforward python loop would. Parameters never require gradients (the fair setting).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import attribution_reference as reference  # noqa: E402  (the models, hooks and GradCAM of the tests)
import common  # noqa: E402

MODELS = {"mnist_cnn": 200, "resnet50": 16}


def load(name):
    model = common.make_model(name, seed=0)
    for p in model.parameters():
        p.requires_grad_(False)
    model, cam_layers = reference.explained_model(name, model)
    return model, cam_layers["auto"]


grad = reference.gradient


def chunked(fn, x, t, batch):
    return torch.cat([fn(x[s : s + batch], t[s : s + batch]) for s in range(0, x.shape[0], batch)])


def integrated_gradients(model, x, t, steps, batch):
    alphas = torch.linspace(0, 1, steps)
    rows = (alphas.view(1, -1, 1, 1, 1) * x.unsqueeze(1)).reshape(-1, *x.shape[1:])
    g = chunked(lambda a, b: grad(model, a, b), rows, t.repeat_interleave(steps), batch)
    return x * g.view(x.shape[0], steps, *x.shape[1:]).mean(1)


def noisy_rows(x, n, sigma):
    scale = sigma * (x.flatten(1).amax(1) - x.flatten(1).amin(1))
    noise = torch.randn(x.shape[0], n, *x.shape[1:]) * scale.view(-1, 1, 1, 1, 1)
    return (x.unsqueeze(1) + noise).reshape(-1, *x.shape[1:])


def smoothgrad(model, x, t, n, batch, variance=False):
    g = chunked(lambda a, b: grad(model, a, b), noisy_rows(x, n, 0.15), t.repeat_interleave(n), batch)
    g = g.view(x.shape[0], n, *x.shape[1:])
    return g.var(1, unbiased=False) if variance else g.mean(1)


def ig_loop(model, x, t, steps):
    out = []
    for i in range(x.shape[0]):
        total = torch.zeros_like(x[i])
        for a in torch.linspace(0, 1, steps):
            total += grad(model, (a * x[i : i + 1]), t[i : i + 1])[0]
        out.append(x[i] * total / steps)
    return torch.stack(out)


def smoothgrad_loop(model, x, t, n):
    out = []
    for i in range(x.shape[0]):
        scale = 0.15 * (x[i].max() - x[i].min())
        total = torch.zeros_like(x[i])
        for _ in range(n):
            total += grad(model, x[i : i + 1] + torch.randn_like(x[i : i + 1]) * scale, t[i : i + 1])[0]
        out.append(total / n)
    return torch.stack(out)


def noise(model, x):
    """sanity's noise baseline: a reproducible draw per (model, image), from a signature of sampled weights."""
    signature = 0.0
    for p in list(model.parameters()) + list(model.buffers()):
        flat = p.detach().reshape(-1)
        signature += float(flat[:: max(1, flat.numel() // 1024)].double().sum())
    out = torch.empty_like(x)
    for i in range(x.shape[0]):
        g = torch.Generator().manual_seed(hash((signature, i)) & (2**63 - 1))
        out[i] = torch.randn(x.shape[1:], generator=g)
    return out


def sobel(x):
    k = torch.tensor([1.0, 2.0, 1.0])
    d = torch.tensor([-1.0, 0.0, 1.0])
    flat = F.pad(x.reshape(-1, 1, *x.shape[2:]), (1, 1, 1, 1), mode="replicate")
    gx = F.conv2d(flat, torch.outer(k, d).view(1, 1, 3, 3))
    gy = F.conv2d(flat, torch.outer(d, k).view(1, 1, 3, 3))
    return torch.sqrt(gx * gx + gy * gy).view(x.shape)


def timed(fn, repeats, budget=2.0):
    """Best of up to `repeats` runs, stopping once `budget` seconds are spent; fast calls repeat for
    half a second (as the C++ side)."""
    best, total, runs = float("inf"), 0.0, 0
    while runs == 0 or (runs < repeats and total < budget) or (total < 0.5 and runs < 1000):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, total, runs = min(best, dt), total + dt, runs + 1
    return best


def time_method(d, name, count, steps, batch, repeats, threads, method):
    n = steps
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, layer = load(name)
    x = torch.load(os.path.join(d, "bench_%s_x.pt" % name))[:count]
    with torch.no_grad():
        t = model(x).argmax(1)
    cam = lambda a, b: reference.gradcam(model, layer, a, b)  # noqa: E731
    hooked = lambda guided: lambda: chunked(  # noqa: E731
        lambda a, b: reference.relu_hooked_gradient(model, a, b, guided), x, t, batch)
    methods = {
        "gradient": lambda: chunked(lambda a, b: grad(model, a, b), x, t, batch),
        "gradient_x_input": lambda: chunked(lambda a, b: grad(model, a, b) * a, x, t, batch),
        "integrated_gradients": lambda: integrated_gradients(model, x, t, steps, batch),
        "guided_backprop": hooked(True),
        "deconvnet": hooked(False),
        "gradcam": lambda: chunked(cam, x, t, batch).expand_as(x),
        "guided_gradcam": lambda: hooked(True)() * chunked(cam, x, t, batch),
        "smoothgrad": lambda: smoothgrad(model, x, t, n, batch),
        "vargrad": lambda: smoothgrad(model, x, t, n, batch, variance=True),
        "sobel": lambda: sobel(x),
        "noise": lambda: noise(model, x),
        "constant": lambda: torch.ones_like(x),
    }
    loops = {
        "integrated_gradients": lambda: ig_loop(model, x, t, steps),
        "smoothgrad": lambda: smoothgrad_loop(model, x, t, n),
    }
    grad(model, x[:batch], t[:batch])  # warm up: one full batch (kernels for its shapes, allocator)
    out = {"batched": timed(methods[method], repeats)}
    if method in loops:
        out["loop"] = timed(loops[method], 1)
    return out


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "export":
        os.makedirs(d, exist_ok=True)
        for name, count in MODELS.items():
            model = common.make_model(name, seed=0)
            common.export(model, name, os.path.join(d, "bench_%s.onnx" % name))
            x = common.make_input(name, count, seed=3)
            torch.save(x, os.path.join(d, "bench_%s_x.pt" % name))
            common.save(d, "bench_%s_x.npy" % name, x)
        return
    name, (count, steps, batch, repeats, threads), method = sys.argv[3], map(int, sys.argv[4:9]), sys.argv[9]
    print(json.dumps(time_method(d, name, count, steps, batch, repeats, threads, method)))


if __name__ == "__main__":
    main()
