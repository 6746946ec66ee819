"""Reference attributions from PyTorch for tests/unit/test_attribution_reference.cpp.

For the MNIST CNN, ResNet-50 and VGG-16 (random weights, common.make_model) and 2 inputs each
(common.make_input), written as attr_<model>_<method>.npy with the ONNX export, inputs and targets:
gradient, gradient x input, Integrated Gradients (the same alphas as ours), Guided Backprop and
Deconvnet (backward hooks on every ReLU module, as Captum does it), GradCAM (hooks on the layer)
and Guided GradCAM. Implemented here from the definitions in docs/DEFINITIONS.md with autograd, so it shares
no code with the C++ engine. Also: scipy's Sobel magnitude and Gaussian blur for the baselines.

Usage: attribution_reference.py OUT_DIR. Skips all work when OUT_DIR holds outputs of this exact
script (the VGG-16 export alone takes ~30 s and ~550 MB).
"""
import hashlib
import math
import os
import sys

import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# (model, IG steps): full 50 steps on MNIST, few on the 224-pixel models to keep the test fast.
MODELS = [("mnist_cnn", 50), ("resnet50", 4), ("vgg16", 4)]
N_IMAGES = 2


class HookableMnistCNN(torch.nn.Module):
    """common.MnistCNN with ReLU modules (it calls torch.relu), so ReLU hooks can attach."""

    def __init__(self, cnn):
        super().__init__()
        self.cnn = cnn
        self.relu1, self.relu2, self.relu3 = torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.ReLU()

    def forward(self, x):
        c = self.cnn
        x = F.max_pool2d(self.relu1(c.conv1(x)), 2)
        x = F.max_pool2d(self.relu2(c.conv2(x)), 2)
        x = self.relu3(c.fc1(torch.flatten(x, 1)))
        return c.fc2(x)


def target_scores(logits, targets):
    return logits.gather(1, targets.view(-1, 1)).sum()


def gradient(model, x, targets):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(target_scores(model(x), targets), x)
    return g


def integrated_gradients(model, x, targets, baseline, alphas, weights):
    out = []
    for i in range(x.shape[0]):
        points = baseline[i : i + 1] + alphas.view(-1, 1, 1, 1) * (x[i : i + 1] - baseline[i : i + 1])
        g = gradient(model, points, targets[i].repeat(len(alphas)))
        out.append((x[i] - baseline[i]) * (weights.view(-1, 1, 1, 1) * g).sum(0))
    return torch.stack(out)


def relu_hooked_gradient(model, x, targets, guided):
    """Guided Backprop (guided=True) or Deconvnet through backward hooks on every nn.ReLU."""

    def hook(module, grad_in, grad_out):
        # grad_in = grad_out * (input > 0): Guided keeps its positive part, Deconvnet ignores the mask.
        return (torch.clamp(grad_in[0] if guided else grad_out[0], min=0),)

    handles = [m.register_full_backward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    try:
        return gradient(model, x, targets)
    finally:
        for h in handles:
            h.remove()


def gradcam(model, layer, x, targets):
    store = {}
    handle = layer.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
    try:
        x = x.clone().requires_grad_(True)
        logits = model(x)
    finally:
        handle.remove()
    a = store["a"]
    (g,) = torch.autograd.grad(target_scores(logits, targets), a)
    cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    peak = cam.amax((1, 2, 3), keepdim=True)
    cam = torch.where(peak > 0, cam / peak.clamp_min(1e-30), torch.zeros_like(cam))
    return F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)


def no_inplace_relu(model):
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False


def explained_model(name, model):
    """The module to hook and its GradCAM layers: {option value: module}."""
    if name == "mnist_cnn":
        hooked = HookableMnistCNN(model).eval()
        return hooked, {"auto": hooked.relu2}
    no_inplace_relu(model)
    if name == "resnet50":
        return model, {"auto": model.layer4}
    return model, {"auto": model.features[29], "features.28": model.features[28]}


def run_model(out, name, ig_steps):
    model = common.make_model(name, seed=0)
    for p in model.parameters():
        p.requires_grad_(False)
    common.export(model, name, os.path.join(out, "attr_%s.onnx" % name))
    model, cam_layers = explained_model(name, model)
    x = common.make_input(name, N_IMAGES, seed=1)
    with torch.no_grad():
        logits = model(x)
    # Image 0: the predicted class; image 1: another class, so given targets are exercised too. With
    # random weights ReLU(sum_k a_k A_k) can vanish everywhere; take the next class until it does not.
    pred = logits.argmax(1)
    targets = []
    for i, first in enumerate([pred[0], (pred[1] + 1) % logits.shape[1]]):
        for k in range(logits.shape[1]):
            c = (first + k) % logits.shape[1]
            if gradcam(model, cam_layers["auto"], x[i : i + 1], c.view(1)).amax() > 0:
                break
        targets.append(c)
    targets = torch.stack(targets)
    save = lambda what, a: common.save(out, "attr_%s_%s.npy" % (name, what), a)  # noqa: E731
    save("x", x)
    save("logits", logits)
    save("targets", targets.to(torch.int64))

    g = gradient(model, x, targets)
    save("gradient", g)
    save("gradient_x_input", g * x)
    alphas = torch.linspace(0, 1, ig_steps)
    save("integrated_gradients", integrated_gradients(model, x, targets, torch.zeros_like(x), alphas,
                                                      torch.full((ig_steps,), 1.0 / ig_steps)))
    gb = relu_hooked_gradient(model, x, targets, guided=True)
    save("guided_backprop", gb)
    save("deconvnet", relu_hooked_gradient(model, x, targets, guided=False))
    for key, layer in cam_layers.items():
        cam = gradcam(model, layer, x, targets)
        suffix = "" if key == "auto" else "_" + key.replace(".", "")
        save("gradcam" + suffix, cam.expand_as(x))
        save("guided_gradcam" + suffix, gb * cam)

    if name == "mnist_cnn":
        # Other quadratures and baselines, and the baselines' image operators (scipy).
        steps = 16
        t = torch.linspace(0, 1, steps)
        w = torch.full((steps,), 1.0 / (steps - 1))
        w[0] = w[-1] = 0.5 / (steps - 1)
        save("ig_trapezoid16", integrated_gradients(model, x, targets, torch.zeros_like(x), t, w))
        sigma = 2.0
        radius = math.ceil(3 * sigma)
        blurred = scipy.ndimage.gaussian_filter(x.numpy().astype(np.float64), sigma=(0, 0, sigma, sigma),
                                                mode="nearest", truncate=radius / sigma)
        blurred = torch.from_numpy(blurred).float()
        save("ig_blur2_16", integrated_gradients(model, x, targets, blurred, t, torch.full((steps,), 1.0 / steps)))
    if name in ("mnist_cnn", "resnet50"):
        # Per 2-D channel image: on a 4-D array scipy would smooth across images and channels too.
        xd = x.numpy().astype(np.float64)
        mag = np.zeros_like(xd)
        for i in range(xd.shape[0]):
            for c in range(xd.shape[1]):
                gx = scipy.ndimage.sobel(xd[i, c], axis=1, mode="reflect")
                gy = scipy.ndimage.sobel(xd[i, c], axis=0, mode="reflect")
                mag[i, c] = np.sqrt(gx * gx + gy * gy)
        save("sobel", mag)


def main():
    out = common.out_dir()
    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for f in (__file__, os.path.join(here, "common.py")):
        with open(f, "rb") as fh:
            digest.update(fh.read())
    stamp = os.path.join(out, "attr_stamp.txt")
    if os.path.exists(stamp) and open(stamp).read().strip() == digest.hexdigest():
        print("attribution references are up to date in", out)
        return
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    for name, steps in MODELS:
        run_model(out, name, steps)
        print("wrote attribution references for", name, flush=True)
    with open(stamp, "w") as fh:
        fh.write(digest.hexdigest() + "\n")


if __name__ == "__main__":
    main()
