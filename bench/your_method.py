"""A method of your own against the built-in one it computes (python/sanity/_methods.py).

overhead: the MNIST CNN's cascading check (random weights, N images) with the built-in `gradient`
    and with a Python function computing the same gradient with torch.autograd, each in its own
    study, alternated `--repeats` times; prints both medians and their ratio (the issue asks <= 1.5).
logits: every model state of a cascading and an independent check of torchvision's vit_b_16
    (random weights, 224 x 224): the largest relative difference between the engine's logits and
    those of the module the method is given.

    PYTHONPATH=build/python .venv/bin/python bench/your_method.py overhead --images 200
    PYTHONPATH=build/python .venv/bin/python bench/your_method.py logits
"""
import argparse
import statistics
import sys
import tempfile
import time

import torch

import sanity

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/python/tests")
from test_your_method import MnistCNN  # noqa: E402


def gradient(module, x, targets):
    x = x.requires_grad_()
    return torch.autograd.grad(module(x).gather(1, targets[:, None]).sum(), x)[0]


def timed_check(net, x, method, threads):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        sanity.check(net, x, [method], checks="cascading", metrics="spearman_abs,ssim", out=out, threads=threads,
                     progress=False)
        return time.perf_counter() - start


def overhead(args):
    torch.manual_seed(0)
    net = MnistCNN().eval()
    x = torch.rand(args.images, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    times = {"gradient": [], "python": []}
    for _ in range(args.repeats):
        times["gradient"].append(timed_check(net, x, "gradient", args.threads))
        times["python"].append(timed_check(net, x, sanity.method(gradient, name="python_gradient"), args.threads))
    a, b = statistics.median(times["gradient"]), statistics.median(times["python"])
    print("cascading check, MNIST CNN, %d images, %d repeats: built-in gradient %.2f s, Python gradient %.2f s, "
          "ratio %.2f" % (args.images, args.repeats, a, b, b / a))


def logits(args):
    import torchvision

    torch.manual_seed(0)
    net = torchvision.models.vit_b_16(weights=None).eval()
    with torch.no_grad():  # zeros at init: randomizing them would not change the logits
        net.class_token.normal_()
        net.heads.head.weight.normal_(std=0.02)
    x = torch.rand(1, 3, 224, 224)
    seen = []

    def compare(module, x, targets, engine):
        ours, theirs = engine.logits(x), module(x).detach()
        seen.append(((theirs - ours).abs().max() / ours.abs().max()).item())
        return torch.ones_like(x)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        sanity.check(net, x, [sanity.method(compare, engine=True)], checks="cascading,independent",
                     metrics="spearman", out=out, batch_size=8, threads=args.threads, progress=False)
        stages = len(sanity.stages(out))
    print("vit_b_16: %d model states of %d stages, largest relative logit difference %.3g (%.0f s)"
          % (len(seen), stages, max(seen), time.perf_counter() - start))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["overhead", "logits"])
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    {"overhead": overhead, "logits": logits}[args.what](args)


if __name__ == "__main__":
    main()
