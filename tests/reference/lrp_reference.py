"""Reference LRP attributions for a small CNN, written independently of the C++ rules: each rule is a
torch.autograd.Function whose backward re-runs the layer with modified inputs/parameters and takes
the gradient with autograd (Zennit's hook idea), following the definitions in docs/DEFINITIONS.md.

The network has what the C++ side must handle: biases, a BatchNorm after a conv (canonized by
folding it into the conv), a standalone BatchNorm after a residual sum, max and average pooling,
a residual Add and a Concat. Writes lrp_net.onnx (BatchNorm nodes kept), the inputs, the targets and
one attribution per method.
"""
import os

import torch
import torch.nn.functional as F

import common

SEED = 11
N = 4


class LrpNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = torch.nn.BatchNorm2d(8)
        self.conv3 = torch.nn.Conv2d(16, 16, 1)
        self.fc1 = torch.nn.Linear(16 * 4 * 4, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        p1 = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        s = p1 + F.relu(self.conv2(p1))
        r3 = F.relu(self.bn2(s))
        c = torch.cat([r3, p1], 1)
        a = F.avg_pool2d(F.relu(self.conv3(c)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(a, 1))))


def make_net():
    torch.manual_seed(SEED)
    net = LrpNet()
    with torch.no_grad():
        for bn in (net.bn1, net.bn2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
            bn.running_mean.uniform_(-0.3, 0.3)
            bn.running_var.uniform_(0.5, 2.0)
    return net.eval()


# ---- rules: (fwd, x, w, b, r) -> relevance at x, where fwd(x, w, b) is the layer as a function ----

def stab(z, eps=1e-6):
    return z + ((z == 0).to(z) + z.sign()) * eps


def vjp(fwd, x_like, w, s):
    """W^T s for the linear map x -> fwd(x, w, None), by autograd."""
    x = torch.zeros_like(x_like).requires_grad_(True)
    with torch.enable_grad():
        z = fwd(x, w, None)
    return torch.autograd.grad(z, x, s)[0]


def epsilon(eps):
    def rule(fwd, x, w, b, r):
        return x * vjp(fwd, x, w, r / stab(fwd(x, w, b), eps))
    return rule


def zplus(fwd, x, w, b, r):
    xp, xn, wp, wn = x.clamp(min=0), x.clamp(max=0), w.clamp(min=0), w.clamp(max=0)
    s = r / stab(fwd(xp, wp, None if b is None else b.clamp(min=0)) + fwd(xn, wn, None))
    return xp * vjp(fwd, x, wp, s) + xn * vjp(fwd, x, wn, s)


def alpha_beta(alpha, beta):
    def rule(fwd, x, w, b, r):
        xp, xn, wp, wn = x.clamp(min=0), x.clamp(max=0), w.clamp(min=0), w.clamp(max=0)
        bp = None if b is None else b.clamp(min=0)
        bn = None if b is None else b.clamp(max=0)
        sp = r / stab(fwd(xp, wp, bp) + fwd(xn, wn, None))
        sn = r / stab(fwd(xp, wn, bn) + fwd(xn, wp, None))
        pos = xp * vjp(fwd, x, wp, sp) + xn * vjp(fwd, x, wn, sp)
        neg = xp * vjp(fwd, x, wn, sn) + xn * vjp(fwd, x, wp, sn)
        return alpha * pos - beta * neg
    return rule


def gamma(g):
    def rule(fwd, x, w, b, r):
        xp, xn = x.clamp(min=0), x.clamp(max=0)
        wpg, wng = w + g * w.clamp(min=0), w + g * w.clamp(max=0)
        bpg = None if b is None else b + g * b.clamp(min=0)
        bng = None if b is None else b + g * b.clamp(max=0)
        z = fwd(x, w, b)
        sp = (z > 0).to(r) * r / stab(fwd(xp, wpg, bpg) + fwd(xn, wng, None))
        sn = (z < 0).to(r) * r / stab(fwd(xp, wng, bng) + fwd(xn, wpg, None))
        return (xp * vjp(fwd, x, wpg, sp) + xn * vjp(fwd, x, wng, sp)
                + xp * vjp(fwd, x, wng, sn) + xn * vjp(fwd, x, wpg, sn))
    return rule


def zbox(fwd, x, w, b, r):
    shape = (-1,) + (1,) * (x.dim() - 1)
    lo = x.flatten(1).min(1).values.view(shape).expand_as(x)
    hi = x.flatten(1).max(1).values.view(shape).expand_as(x)
    wp, wn = w.clamp(min=0), w.clamp(max=0)
    s = r / stab(fwd(x, w, None) - fwd(lo, wp, None) - fwd(hi, wn, None))
    return x * vjp(fwd, x, w, s) - lo * vjp(fwd, x, wp, s) - hi * vjp(fwd, x, wn, s)


def wsquare(fwd, x, w, b, r):
    w2 = w * w
    s = r / stab(fwd(torch.ones_like(x), w2, None if b is None else b * b))
    return vjp(fwd, x, w2, s)


def flat(fwd, x, w, b, r):
    ones = torch.ones_like(w)
    return vjp(fwd, x, ones, r / stab(fwd(torch.ones_like(x), ones, None)))


class RuleLayer(torch.autograd.Function):
    """Forward: the layer; backward: the rule."""

    @staticmethod
    def forward(ctx, x, w, b, fwd, rule):
        ctx.save_for_backward(x, w, b)
        ctx.fwd, ctx.rule = fwd, rule
        return fwd(x, w, b)

    @staticmethod
    def backward(ctx, r):
        x, w, b = ctx.saved_tensors
        return ctx.rule(ctx.fwd, x, w, b, r), None, None, None, None


class NormSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b

    @staticmethod
    def backward(ctx, r):
        a, b = ctx.saved_tensors
        s = r / stab(a + b)
        return a * s, b * s


class NormAvgPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return F.avg_pool2d(x, 2)

    @staticmethod
    def backward(ctx, r):
        x, = ctx.saved_tensors
        s = r / stab(F.avg_pool2d(x, 2))
        return x * vjp(lambda t, w, b: F.avg_pool2d(t, 2), x, None, s)


class RectGradReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = F.relu(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        yg = (y * g).flatten(1).double()
        tau = torch.quantile(yg, 0.98, dim=1).view((-1,) + (1,) * (g.dim() - 1)).to(g)
        return g * ((y * g) > tau).to(g)


def conv_fn(conv):
    return lambda x, w, b: F.conv2d(x, w, b, padding=conv.padding)


def channel_fn(x, w, b):
    y = x * w.view(1, -1, 1, 1)
    return y if b is None else y + b.view(1, -1, 1, 1)


def folded(conv, bn):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return conv.weight * s.view(-1, 1, 1, 1), (conv.bias - bn.running_mean) * s + bn.bias


def lrp_forward(net, x, rules):
    """The network with rules: a dict name -> rule for conv1 (BN1 folded in), conv2, bn2, conv3, fc1, fc2."""
    w1, b1 = folded(net.conv1, net.bn1)
    h = RuleLayer.apply(x, w1, b1, conv_fn(net.conv1), rules["conv1"])
    p1 = F.max_pool2d(F.relu(h), 2)
    r2 = F.relu(RuleLayer.apply(p1, net.conv2.weight, net.conv2.bias, conv_fn(net.conv2), rules["conv2"]))
    s = NormSum.apply(p1, r2)
    bn = net.bn2
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    r3 = F.relu(RuleLayer.apply(s, scale, bn.bias - bn.running_mean * scale, channel_fn, rules["bn2"]))
    c = torch.cat([r3, p1], 1)
    h = F.relu(RuleLayer.apply(c, net.conv3.weight, net.conv3.bias, conv_fn(net.conv3), rules["conv3"]))
    a = NormAvgPool.apply(h)
    f = torch.flatten(a, 1)
    h = F.relu(RuleLayer.apply(f, net.fc1.weight, net.fc1.bias, F.linear, rules["fc1"]))
    return RuleLayer.apply(h, net.fc2.weight, net.fc2.bias, F.linear, rules["fc2"])


def rectgrad_forward(net, x):
    p1 = F.max_pool2d(RectGradReLU.apply(net.bn1(net.conv1(x))), 2)
    s = p1 + RectGradReLU.apply(net.conv2(p1))
    c = torch.cat([RectGradReLU.apply(net.bn2(s)), p1], 1)
    a = F.avg_pool2d(RectGradReLU.apply(net.conv3(c)), 2)
    return net.fc2(RectGradReLU.apply(net.fc1(torch.flatten(a, 1))))


def presets():
    z, eps = epsilon(1e-6), epsilon(0.25)
    every = lambda r: {k: r for k in ("conv1", "conv2", "conv3", "fc1", "fc2")}
    p = {
        "lrp_z": every(z),
        "lrp_epsilon": every(eps),
        "lrp_zplus": every(zplus),
        "lrp_epsilon_plus_flat": dict(conv1=flat, conv2=zplus, conv3=zplus, fc1=eps, fc2=eps),
        "lrp_epsilon_gamma_box": dict(conv1=zbox, conv2=gamma(0.25), conv3=gamma(0.25), fc1=eps, fc2=eps),
        "lrp_alpha1beta0": every(alpha_beta(1, 0)),
        "lrp_alpha2beta1": every(alpha_beta(2, 1)),
        # Zennit's EpsilonAlpha2Beta1: alpha2-beta1 on convolutions, epsilon on dense layers.
        "lrp_epsilon_alpha2beta1": dict(conv1=alpha_beta(2, 1), conv2=alpha_beta(2, 1), conv3=alpha_beta(2, 1),
                                        fc1=eps, fc2=eps),
        "deep_taylor": dict(conv1=zbox, conv2=zplus, conv3=zplus, fc1=zplus, fc2=wsquare),
        "excitation_backprop": every(zplus),
    }
    for rules in p.values():
        rules["bn2"] = z  # a standalone BatchNorm takes the z rule in every preset
    return p


def attribute(forward, x, targets, times_logit):
    xi = x.clone().requires_grad_(True)
    out = forward(xi)
    seed = F.one_hot(targets, out.shape[1]).to(out)
    if times_logit:
        seed = seed * out.detach()
    return torch.autograd.grad(out, xi, seed)[0]


def main():
    out = common.out_dir()
    net = make_net()  # float32, as exported
    path = os.path.join(out, "lrp_net.onnx")
    if not os.path.exists(path):
        torch.onnx.export(net, torch.zeros(1, 3, 16, 16), path + ".tmp", opset_version=13, dynamo=False,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
        os.replace(path + ".tmp", path)
    # The reference runs in float64 on the same weights; the C++ side runs float32.
    net = net.double()
    torch.set_default_dtype(torch.float64)
    g = torch.Generator().manual_seed(3)
    x = (torch.rand(N, 3, 16, 16, generator=g) * 2 - 1).float().double()  # exactly what the C++ side reads
    with torch.no_grad():
        targets = net(x).argmax(1)
    common.save(out, "lrp_net_input.npy", x)
    common.save(out, "lrp_net_targets.npy", targets)
    for name, rules in presets().items():
        r = attribute(lambda t: lrp_forward(net, t, rules), x, targets, name != "excitation_backprop")
        common.save(out, f"lrp_net_{name}.npy", r)
    common.save(out, "lrp_net_rectgrad.npy", attribute(lambda t: rectgrad_forward(net, t), x, targets, False))
    with torch.no_grad():
        common.save(out, "lrp_net_logits.npy", net(x))


if __name__ == "__main__":
    main()
