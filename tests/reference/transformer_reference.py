"""References for the transformer methods, computed by PyTorch independently of sanity's engine.

GradCAM by hooks (docs/DEFINITIONS.md "Transformers"; Selvaraju et al.) on torchvision's Inception v3
at Mixed_7c, DenseNet-121 at its final ReLU, ViT-B/16 at the last encoder layer's ln_1 (patch tokens as 14x14,
class token dropped) and Swin-T at its last stage's 7x7 grid (after the final norm, as permuted), on the models and images of torchvision_families.py (rebuilt from the same
seeds; their logits are checked against that fixture's).

LRP for transformers in the Gradient x Input form that LXT (the AttnLRP authors' library) uses:
relevance = x * d logit / d x through a forward pass whose backward is modified,
  LayerNorm   (x - mean) / std.detach() * w + b      (1/std held constant: CP-LRP, AttnLRP)
  GELU        backward g * gelu(x) / x                (the identity rule: relevance passes)
  AttnLRP     softmax unchanged (its Gradient x Input is the softmax rule); the gradient into each of
              the two attention products A V and Q K^T halved (the uniform rule)
  CP-LRP      the attention probabilities detached
and LRP-0 on every linear layer (Gradient x Input is LRP-0 there, biases absorbing their share).
This is a different computation from sanity's (autograd through a rewritten forward against relevance
rules on the layer graph); they agree up to sanity's stabilizer (1e-6).

For ViT-B/16 and for the built-in ViT that `sanity train --model vit` trained (its weights read from
its model.onnx): files in <ref dir>/transformer/.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import onnx_weights  # noqa: E402
import torchvision_families  # noqa: E402


class IdentityRule(torch.autograd.Function):
    """f(x) forward; backward passes g * f(x) / x, so that x * grad = f(x) * g (relevance unchanged)."""

    @staticmethod
    def forward(ctx, x, fn):
        y = fn(x)
        ctx.save_for_backward(y / (x + (x == 0) * 1e-12))
        return y

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None


class HalveGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g / 2


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    std = ((x - mean) ** 2).mean(-1, keepdim=True).add(eps).sqrt()
    return (x - mean) / std.detach() * w + b


def attention(q, k, v, heads, variant):
    """q, k, v: [N, T, C] -> [N, T, C] with the variant's backward."""
    n, t, c = q.shape
    d = c // heads
    q, k, v = (z.reshape(n, t, heads, d).transpose(1, 2) for z in (q, k, v))
    scores = (q / d ** 0.5) @ k.transpose(-1, -2)
    if variant == "attn":
        scores = HalveGradient.apply(scores)
    a = scores.softmax(-1)
    if variant == "cp":
        a = a.detach()
    ctx = a @ v
    if variant == "attn":
        ctx = HalveGradient.apply(ctx)
    return ctx.transpose(1, 2).reshape(n, t, c)


def relevance(forward, x, target):
    xi = x.clone().requires_grad_(True)
    out = forward(xi)
    out[0, target].backward()
    return (xi * xi.grad).detach(), out.detach()


# ---- torchvision's ViT-B/16, forward rewritten with the rules ----

def torchvision_vit(model, variant):
    def forward(x):
        n = x.shape[0]
        h = model.conv_proj(x).reshape(n, model.hidden_dim, -1).permute(0, 2, 1)
        h = torch.cat([model.class_token.expand(n, -1, -1), h], 1) + model.encoder.pos_embedding
        for layer in model.encoder.layers:
            y = layer_norm(h, layer.ln_1.weight, layer.ln_1.bias, layer.ln_1.eps)
            att = layer.self_attention
            q, k, v = F.linear(y, att.in_proj_weight, att.in_proj_bias).chunk(3, -1)
            y = F.linear(attention(q, k, v, att.num_heads, variant), att.out_proj.weight, att.out_proj.bias)
            h = h + y
            y = layer_norm(h, layer.ln_2.weight, layer.ln_2.bias, layer.ln_2.eps)
            y = layer.mlp[3](IdentityRule.apply(layer.mlp[0](y), F.gelu))
            h = h + y
        h = layer_norm(h, model.encoder.ln.weight, model.encoder.ln.bias, model.encoder.ln.eps)
        return model.heads(h[:, 0])
    return forward


# ---- sanity's built-in ViT (models/builtin.h), from the weights of its model.onnx ----

def builtin_vit(w, variant, layers=4, heads=4, width=64):
    def lin(x, name):
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    def forward(x):
        n = x.shape[0]
        h = F.conv2d(x, w["conv_proj.weight"], w["conv_proj.bias"], stride=7).reshape(n, width, -1).transpose(1, 2)
        h = torch.cat([w["class_token.class_token"].expand(n, -1, -1), h], 1) + w["encoder.pos_embedding.constant"]
        for i in range(layers):
            p = f"encoder.layers.encoder_layer_{i}."
            y = layer_norm(h, w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-6)
            q, k, v = (lin(y, p + "self_attention." + z) for z in ("query", "key", "value"))
            h = h + lin(attention(q, k, v, heads, variant), p + "self_attention.out_proj")
            y = layer_norm(h, w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-6)
            h = h + lin(IdentityRule.apply(lin(y, p + "mlp.0"), F.gelu), p + "mlp.3")
        h = layer_norm(h, w["encoder.ln.weight"], w["encoder.ln.bias"], 1e-6)
        return lin(h[:, 0], "heads.head")
    return forward


# ---- GradCAM by hooks ----

def cam_from(a, g, size):
    cam = F.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = cam / cam.amax((1, 2, 3), keepdim=True).clamp_min(1e-30)
    return F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[:, 0]


def gradcam(family, model, x, target):
    x = x.clone().requires_grad_(True)  # the parameters are frozen: the graph hangs on the input
    store = {}
    if family == "densenet121":
        def forward(z):
            a = F.relu(model.features(z))
            a.retain_grad()
            store["a"] = a
            return model.classifier(torch.flatten(F.adaptive_avg_pool2d(a, (1, 1)), 1))
    else:
        # Swin: the last stage's grid after the final LayerNorm, where torchvision permutes it to NCHW.
        module = {"inception_v3": lambda: model.Mixed_7c, "swin_t": lambda: model.permute,
                  "vit_b_16": lambda: model.encoder.layers[-1].ln_1}[family]()

        def hook(_, __, out):
            out.retain_grad()
            store["a"] = out
        handle = module.register_forward_hook(hook)
        forward = model
    out = forward(x)
    out[0, target].backward()
    if family != "densenet121":
        handle.remove()
    a, g = store["a"].detach(), store["a"].grad
    if a.dim() == 3:  # ViT tokens: drop the class token, 14 x 14 grid, channels first
        side = int((a.shape[1] - 1) ** 0.5)
        a, g = (z[:, 1:].reshape(z.shape[0], side, side, -1).permute(0, 3, 1, 2) for z in (a, g))
    return cam_from(a, g, x.shape[2:])


def main():
    ref = common.out_dir()
    out = common.versioned_dir("transformer", "transformer_reference.py", "onnx_weights.py", "torchvision_families.py")
    torch.set_num_threads(2)
    families = os.path.join(ref, "families")
    for family in ("inception_v3", "densenet121", "vit_b_16", "swin_t"):
        if os.path.exists(os.path.join(out, f"gradcam_{family}.npy")):
            continue
        model = torchvision_families.build(family)
        x = torch.from_numpy(__import__("numpy").load(os.path.join(families, f"{family}_input.npy")))
        logits = torch.from_numpy(__import__("numpy").load(os.path.join(families, f"{family}_logits.npy")))
        target = int(__import__("numpy").load(os.path.join(families, f"{family}_classes.npy"))[0])
        with torch.no_grad():
            assert torch.allclose(model(x), logits, rtol=1e-4, atol=1e-5), f"{family}: not the families fixture's model"
        if family == "vit_b_16":
            for variant in ("attn", "cp"):
                r, plain = relevance(torchvision_vit(model, variant), x, target)
                assert torch.allclose(plain, logits, rtol=1e-4, atol=1e-4), "rewritten ViT forward differs"
                common.save(out, f"lrp_{variant}_vit_b_16.npy", r)
        for p in model.parameters():
            p.requires_grad_(False)
        common.save(out, f"gradcam_{family}.npy", gradcam(family, model, x, target))
    weights = os.path.join(ref, "trained_vit", "model.onnx")
    if not os.path.exists(os.path.join(out, "lrp_cp_builtin_vit.npy")):
        w = onnx_weights.initializers(weights)
        g = torch.Generator().manual_seed(3)
        x = torch.rand((2, 1, 28, 28), generator=g)
        with torch.no_grad():
            logits = builtin_vit(w, "attn")(x)
        targets = logits.argmax(1)
        common.save(out, "builtin_vit_input.npy", x)
        common.save(out, "builtin_vit_logits.npy", logits)
        common.save(out, "builtin_vit_targets.npy", targets)
        for variant in ("attn", "cp"):
            rs = [relevance(builtin_vit(w, variant), x[i:i + 1], int(targets[i]))[0] for i in range(x.shape[0])]
            common.save(out, f"lrp_{variant}_builtin_vit.npy", torch.cat(rs))
    print("transformer references in", out)


if __name__ == "__main__":
    main()
