"""Every torchvision classification family (random weights) as ONNX at opsets 14 and 20 (the
TorchScript exporter) and by the dynamo exporter with its defaults, with PyTorch's logits and input
gradient for one image.

For each family: <family>_op<opset>.onnx (dynamic batch: the Shape -> Gather -> Concat -> Reshape
chains that sanity folds at import), <family>_input.npy, <family>_classes.npy, <family>_logits.npy,
<family>_grad.npy (d logit[class] / d input, PyTorch autograd). Files go to <ref dir>/families/; work
already done is skipped, and everything is redone when this script or common.py changes.

Parameters that torchvision initializes to constants are drawn at random (seeded), so that a wrong
import of them shows: BatchNorm statistics and affine parameters, LayerNorm's affine parameters,
ConvNeXt's layer scales (1e-6 at init: its blocks would vanish), and every all-zero tensor (biases,
a ViT's class token and its zero-initialized head, which would make every logit 0).

The image is the first of a seeded N(0, 1) stream whose float32 input gradient PyTorch itself
computes stably (cosine >= 1 - 1e-6 with its float64 gradient): see torchvision_reference.py.
"""
import copy
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FAMILIES = [
    "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
    "inception_v3", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "regnet_x_400mf", "regnet_y_400mf",
    "resnet18", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_1", "swin_t", "vgg11_bn", "vit_b_16",
    "wide_resnet50_2",
]
# 14: the oldest opset torch 2.x exports every family at (its attention, scaled_dot_product_attention,
# needs 14); 20: torch 2.11's default. Both with the TorchScript exporter (dynamo=False).
OPSETS = [14, 20]
CANDIDATES = 8


def build(family):
    torch.manual_seed(0)
    if family == "inception_v3":
        model = getattr(__import__("torchvision").models, family)(weights=None, aux_logits=False, init_weights=True)
    elif family == "googlenet":
        # Its own init (truncated normal 0.01) shrinks activations ~4x per layer under eval-mode BatchNorm:
        # float32 gradients of the last layers then sit near underflow (PyTorch's own cosine with its
        # float64 gradient was 0.84). PyTorch's default init keeps them in range.
        model = getattr(__import__("torchvision").models, family)(weights=None, aux_logits=False, init_weights=False)
    else:
        model = getattr(__import__("torchvision").models, family)(weights=None)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                common.randomize_batchnorm_(m, g)
            elif isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(0.1 + 0.2 * torch.rand(p.shape, generator=g))
            elif not p.detach().any():
                p.copy_(0.02 * torch.randn(p.shape, generator=g))
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def input_size(family):
    return 299 if family == "inception_v3" else 224


def well_conditioned_input(family, model, classes):
    """The first image whose float32 gradient matches the float64 one (cosine >= 1 - 1e-6), else the
    closest of CANDIDATES: max-pool near-ties and ReLUs near 0 round differently in float32, which
    tests rounding, not the importer (GoogLeNet with random weights: none of 8 reached 1 - 1e-6)."""
    model64 = copy.deepcopy(model).double()
    g = torch.Generator().manual_seed(2)
    s = input_size(family)
    best, best_cos = None, -2.0
    for _ in range(CANDIDATES):
        x = torch.randn((1, 3, s, s), generator=g)
        _, g32 = common.logits_and_gradient(model, x, classes)
        _, g64 = common.logits_and_gradient(model64, x.double(), classes)
        c = common.cosine(g32, g64)
        if c > best_cos:
            best, best_cos = x, c
        if c >= 1 - 1e-6:
            break
    print(f"{family}: float32 vs float64 input gradient cosine {best_cos:.8f}", flush=True)
    return best


def export(model, family, path, opset):
    if os.path.exists(path):
        return
    x = torch.randn((1, 3, input_size(family), input_size(family)))
    tmp = path + ".tmp"
    # With frozen parameters nn.MultiheadAttention takes its fused fast path, which has no ONNX export.
    for p in model.parameters():
        p.requires_grad_(True)
    torch.onnx.export(model, x, tmp, opset_version=opset, dynamo=False, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    for p in model.parameters():
        p.requires_grad_(False)
    os.replace(tmp, path)


def export_dynamo(model, family, out):
    """<family>_dynamo.onnx by torch's dynamo exporter with its defaults (opset 20, weights in
    <family>_dynamo.onnx.data beside it), written in a folder of its own and moved, both files
    keeping their names (the .onnx names its data file)."""
    path = os.path.join(out, f"{family}_dynamo.onnx")
    if os.path.exists(path):
        return
    tmp = os.path.join(out, "tmp-dynamo")
    os.makedirs(tmp, exist_ok=True)
    x = torch.randn((2, 3, input_size(family), input_size(family)))
    torch.onnx.export(model, (x,), os.path.join(tmp, f"{family}_dynamo.onnx"), dynamo=True,
                      input_names=["input"], output_names=["logits"],
                      dynamic_shapes=({0: torch.export.Dim("N")},), verbose=False)
    data = f"{family}_dynamo.onnx.data"
    if os.path.exists(os.path.join(tmp, data)):
        os.replace(os.path.join(tmp, data), os.path.join(out, data))
    os.replace(os.path.join(tmp, f"{family}_dynamo.onnx"), path)  # last: its presence marks the pair


def main():
    out = common.versioned_dir("families", "torchvision_families.py")
    torch.set_num_threads(2)
    only = sys.argv[2:]  # a subset of families, for a quick rerun by hand
    for family in FAMILIES:
        if only and family not in only:
            continue
        paths = [os.path.join(out, f"{family}_op{o}.onnx") for o in OPSETS] + [os.path.join(out, f"{family}_dynamo.onnx")]
        if all(os.path.exists(p) for p in paths) and os.path.exists(os.path.join(out, f"{family}_grad.npy")):
            continue
        model = build(family)
        if not os.path.exists(os.path.join(out, f"{family}_grad.npy")):
            classes = torch.tensor([7])
            x = well_conditioned_input(family, model, classes)
            logits, grad = common.logits_and_gradient(model, x, classes)
            common.save(out, f"{family}_input.npy", x)
            common.save(out, f"{family}_classes.npy", classes)
            common.save(out, f"{family}_logits.npy", logits)
            common.save(out, f"{family}_grad.npy", grad)  # last: its presence marks the set complete
        for opset, path in zip(OPSETS, paths):
            export(model, family, path, opset)
        export_dynamo(model, family, out)
        print(family, "done", flush=True)
    print("torchvision families in", out)


if __name__ == "__main__":
    main()
