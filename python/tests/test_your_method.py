"""Methods of your own inside every check (python/sanity/_methods.py): a Python function, Captum's
Saliency and a Zennit composite are checked beside the built-in methods, on the model states the
engine explains. References: Captum's and Zennit's own implementations against ours, and the
engine's logits against the module a method is given."""
import json
import os

import numpy as np
import pytest
import torch

import sanity
from conftest import TinyCNN

captum_attr = pytest.importorskip("captum.attr")
zennit_composites = pytest.importorskip("zennit.composites")


def MnistCNN():
    """The papers' MNIST CNN (the built-in "cnn"): conv 5x5 32, pool, conv 5x5 64, pool, fc 1024, fc 10."""
    return TinyCNN(32, 64, 1024, kernel=5, side=28)


def mnist_cnn():
    torch.manual_seed(0)
    return MnistCNN().eval(), torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def resnet18():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    return torchvision.models.resnet18(num_classes=10).eval(), torch.rand(2, 3, 32, 32)


def small_vit():
    """vit_b_16's code (torchvision's VisionTransformer) at a size a test affords."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    net = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                                               mlp_dim=32, num_classes=10)
    # Non-zero class token and head, so that randomizing them changes the logits (zeros at init).
    with torch.no_grad():
        net.class_token.normal_()
        net.heads.head.weight.normal_(std=0.1)
    return net.eval(), torch.rand(2, 3, 32, 32)


def autograd_gradient(module, x, targets):
    """The plain gradient by torch.autograd on the module a method is given."""
    x = x.requires_grad_()
    return torch.autograd.grad(module(x).gather(1, targets[:, None]).sum(), x)[0]


def grid_maps(out, run, check):
    """{(stage, method spec): N x C x H x W maps} from the study's saliency grid (every image kept)."""
    base = os.path.join(out, "maps", str(run))
    with open(os.path.join(base, "index.json")) as f:
        index = json.load(f)
    files = {m["spec"]: m["file"] for m in index["methods"]}
    return {(s["stage"], spec): np.load(os.path.join(base, check, str(s["stage"]), f + ".npy"))
            for s in index["checks"][check] for spec, f in files.items()}


def by_method(df, spec):
    rows = df[df.method_spec == spec].sort_values(["check", "stage", "image"])
    return rows.set_index(["check", "stage", "image"]).value


@pytest.mark.parametrize("make", [mnist_cnn, resnet18], ids=["mnist_cnn", "resnet18"])
def test_captum_saliency_is_the_absolute_gradient_at_every_stage(make, tmp_path):
    net, x = make()
    out = str(tmp_path / "study")
    df, _ = sanity.check(net, x, ["gradient", captum_attr.Saliency], checks="cascading,independent",
                         metrics="spearman_abs", out=out, grid_images=len(x), progress=False)
    saliency = sanity.method(captum_attr.Saliency).spec
    run = df.attrs["run_id"]
    stages = 0
    for check in ("cascading", "independent"):
        maps = grid_maps(out, run, check)
        for (stage, spec), m in maps.items():
            if spec != "gradient":
                continue
            ours = np.abs(m)
            theirs = maps[(stage, saliency)]
            assert np.abs(theirs - ours).max() <= 1e-5 * max(np.abs(ours).max(), 1e-30), (check, stage)
            stages += 1
    assert stages >= (2 * 4 if make is mnist_cnn else 2 * 20)
    a, b = by_method(df, "gradient"), by_method(df, saliency)
    assert len(a) == len(b) > 0
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=0, atol=1e-6)


def test_a_captum_instance_made_with_the_users_module_explains_each_stage(tmp_path):
    """NoiseTunnel(Saliency(net)) holds the user's module twice down; each stage must explain its own
    copy (without noise it is |gradient|, so any stage explained on the trained weights would differ)."""
    net, x = mnist_cnn()
    out = str(tmp_path / "study")
    tunnel = sanity.method(captum_attr.NoiseTunnel(captum_attr.Saliency(net)), name="tunnel", nt_samples=2, stdevs=0.0)
    df, _ = sanity.check(net, x, ["gradient", tunnel], checks="cascading", metrics="spearman_abs", out=out,
                         grid_images=len(x), progress=False)
    maps = grid_maps(out, df.attrs["run_id"], "cascading")
    for stage in set(s for s, _ in maps):
        ours = np.abs(maps[(stage, "gradient")])
        np.testing.assert_allclose(maps[(stage, tunnel.spec)], ours, rtol=0, atol=1e-6 * ours.max())
    assert not np.allclose(maps[(0, "gradient")], maps[(4, "gradient")])


def test_a_state_the_module_cannot_hold_names_the_parameter():
    """A parameter matched to no tensor of the module is fine while it keeps its trained value and one
    clear error where a state changes it."""
    from sanity import _model_states

    net, x = mnist_cnn()
    m = sanity.model(net, x[:1])
    bridge = _model_states._Bridge(sanity.method(lambda module, x, t: x, name="f"), net, m._handle)
    assert all(t is not None for t in bridge.mapping), "every parameter of the CNN has its tensor"
    bridge.mapping[0] = None  # as if the export had renamed conv1's weight
    params = [arr.copy() for _node, _path, _name, arr in bridge.entries]
    bridge._module_for(params)
    params[0] += 1
    with pytest.raises(ValueError, match=r"method f: the engine's parameter 'weight' of node '/conv1/Conv' changes in "
                                         r"this model state, but the torch module holds no tensor of its value"):
        bridge._module_for(params)


def test_zennit_epsilon_plus_flat_agrees_with_ours_at_every_stage(tmp_path):
    net, x = mnist_cnn()
    out = str(tmp_path / "study")
    ours_spec = "lrp_epsilon_plus_flat(eps=0.25)"  # Zennit's default epsilon is 1e-6, ours iNNvestigate's 0.25
    zennit = sanity.method(zennit_composites.EpsilonPlusFlat(epsilon=0.25))
    assert zennit.version != sanity.method(zennit_composites.EpsilonPlusFlat()).version, "its settings are its version"
    df, _ = sanity.check(net, x, [ours_spec, zennit], checks="cascading,independent",
                         metrics="spearman", out=out, grid_images=len(x), progress=False)
    checked = 0
    for check in ("cascading", "independent"):
        maps = grid_maps(out, df.attrs["run_id"], check)
        for (stage, spec), ours in maps.items():
            if not spec.startswith("lrp_epsilon_plus_flat"):
                continue
            theirs = maps[(stage, zennit.spec)]
            for a, b in zip(ours.reshape(len(x), -1), theirs.reshape(len(x), -1)):
                if np.abs(a).max() == 0 and np.abs(b).max() == 0:
                    continue  # a stage whose relevance vanishes for both
                assert np.corrcoef(a, b)[0, 1] >= 0.999, (check, stage)
                checked += 1
    assert checked >= 2 * 4 * len(x) - 2


@pytest.mark.parametrize("make", [mnist_cnn, resnet18, small_vit], ids=["mnist_cnn", "resnet18", "vit"])
def test_the_stage_module_gives_the_engines_logits(make, tmp_path):
    net, x = make()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    seen = []

    def logits(module, x, targets, engine):
        ours, theirs = engine.logits(x), module(x).detach()
        seen.append((theirs - ours).abs().max().item() / ours.abs().max().item())
        return x * 0 + 1

    m = sanity.method(logits, engine=True)
    df, _ = sanity.check(net, x, [m], checks="cascading,independent", metrics="spearman", out=str(tmp_path / "s"),
                         progress=False)
    stages = sanity.stages(str(tmp_path / "s"))
    # One call per model state; independent stages that leave a layer as it was (a BatchNorm at its
    # initial 1 and 0) share the trained model's maps.
    assert len(seen) >= len(stages) / 2 > 2
    assert max(seen) <= 1e-5
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), "the user's module is never changed: " + k


def random_logit_call(module, x, targets):
    """True in the random-logit check's calls: it explains classes other than the predicted ones, after
    the cascading check's units are committed."""
    with torch.no_grad():
        return bool((module(x).argmax(1) != targets).any())


def test_interrupted_and_resumed_and_a_changed_body_is_a_new_method(tmp_path):
    net, x = mnist_cnn()
    out = str(tmp_path / "study")
    checks = "cascading,random_logit"

    def mine(module, x, targets):
        if mine.interrupt and random_logit_call(module, x, targets):
            raise KeyboardInterrupt
        x = x.requires_grad_()
        return torch.autograd.grad(module(x).gather(1, targets[:, None]).sum(), x)[0]

    mine.interrupt = True  # an attribute, not a value it closes over (those are part of its version)
    with pytest.raises(KeyboardInterrupt):
        sanity.check(net, x, [mine], checks=checks, metrics="spearman_abs", out=out, progress=False)
    kept = sanity.load(out)
    assert sorted(set(kept[kept.method != ""].stage)) == [0, 1, 2, 3, 4] and set(kept.check) == {"cascading"}
    mine.interrupt = False
    df, _ = sanity.check(net, x, [mine], checks=checks, metrics="spearman_abs", out=out, progress=False)
    assert df.attrs["units_skipped"] == 5 and df.attrs["units_done"] == 1, "only the random-logit unit is left"

    def changed(module, x, targets):
        return torch.ones_like(x)

    again, _ = sanity.check(net, x, [sanity.method(changed, name="mine")], checks=checks, metrics="spearman_abs",
                            out=out, progress=False)
    assert again.attrs["units_skipped"] == 0 and again.attrs["units_done"] == 6
    assert sanity.method(changed, name="mine").version != sanity.method(mine).version


def bad(kind):
    def method(module, x, targets):
        if not random_logit_call(module, x, targets):
            return torch.ones_like(x)
        if kind == "shape":
            return torch.ones(len(x), 5)
        if kind == "nan":
            return torch.full_like(x, float("nan"))
        if kind == "raise":
            raise RuntimeError("my method broke\nsecond line")
        return [1, 2, 3]
    return method


@pytest.mark.parametrize("kind, message", [
    ("shape", r"method bad: returned maps of shape \[3, 5\] for inputs of shape \[3, 1, 28, 28\]; expected "
              r"\[3, 1, 28, 28\] or \[3, 28, 28\]$"),
    ("nan", r"method bad.*NaN"),
    ("raise", r"method bad: raised RuntimeError: my method broke$"),
    ("list", r"method bad: returned list; expected maps as a torch tensor or a NumPy array$")])
def test_a_bad_method_is_one_line_naming_it_and_keeps_what_was_committed(kind, message, tmp_path):
    net, x = mnist_cnn()
    out = str(tmp_path / "study")
    with pytest.raises(ValueError, match=message):
        sanity.check(net, x, ["gradient", sanity.method(bad(kind), name="bad")], checks="cascading,random_logit",
                     metrics="spearman", out=out, progress=False)
    kept = sanity.load(out)
    for method in ("gradient", sanity.method(bad(kind), name="bad").spec):
        assert sorted(set(kept[kept.method == method].stage)) == [0, 1, 2, 3, 4], method


def test_an_error_names_the_model_state_it_happened_on(tmp_path):
    net, x = mnist_cnn()

    def fails_at_stage_2(module, x, targets):
        fails_at_stage_2.calls += 1  # 1: the trained model on one image, 2: on all, 3: stage 1, 4: stage 2
        if fails_at_stage_2.calls == 4:
            raise ValueError("no")
        return torch.ones_like(x)

    fails_at_stage_2.calls = 0
    with pytest.raises(ValueError, match=r"^method fails_at_stage_2: raised ValueError: no \(model state: fc2, fc1 "
                                         r"re-initialized\)$"):
        sanity.check(net, x, [fails_at_stage_2], checks="cascading", metrics="spearman", out=str(tmp_path / "s"),
                     progress=False)


def test_names_models_and_checks_a_method_cannot_have(tmp_path, onnx_path):
    net, x = mnist_cnn()

    def gradient(module, x, targets):
        return x

    with pytest.raises(ValueError, match="method name 'gradient' is taken"):
        sanity.explain(net, x, ["gradient", gradient], progress=False)
    with pytest.raises(ValueError, match="method name 'f' is taken"):
        sanity.explain(net, x, [sanity.method(gradient, name="f"), sanity.method(lambda m, x, t: x, name="f")],
                       progress=False)
    with pytest.raises(ValueError, match="method name '<lambda>'.*give name="):
        sanity.method(lambda m, x, t: x)
    with pytest.raises(ValueError, match="methods: f is a Python method.*pass the torch.nn.Module as model="):
        sanity.explain(onnx_path, np.zeros((1, 1, 16, 16), np.float32), [sanity.method(gradient, name="f")],
                       progress=False)
    with pytest.raises(ValueError, match="CSC follows the backward signal"):
        sanity.csc(net, x, [sanity.method(gradient, name="f")], progress=False)
    with pytest.raises(ValueError, match="config: methods: a method of your own is given a torch module"):
        sanity.run({"methods": ["gradient", gradient]}, out=str(tmp_path / "run"), progress=False)
    with pytest.raises(TypeError, match="a function takes none"):
        sanity.method(gradient, name="f", abs=True)
    assert sanity.methods().get("f") is None, "a method of a call leaves the registry with it"


def test_threads_are_the_callers_again_after_a_call():
    net, x = mnist_cnn()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        sanity.explain(net, x, "gradient", threads=2, progress=False)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_images_a_module_cannot_take_are_named_in_python_words():
    """Checked before PyTorch's tracer sees them: the argument is x, the layout N x C x H x W."""
    net, x = mnist_cnn()
    with pytest.raises(ValueError, match=r"^x: array has 2 dimensions, expected 4 \(N x C x H x W\)$"):
        sanity.explain(net, x[0, 0], "gradient", progress=False)
    with pytest.raises(ValueError, match=r"^x: images of shape \[1, 3, 28, 28\] have 3 channels, but the module's first "
                                         r"convolution \(conv1\) takes 1; expected N x C x H x W$"):
        sanity.explain(net, x.expand(-1, 3, -1, -1), "gradient", progress=False)
    with pytest.raises(ValueError, match=r"^x: images of shape \[1, 28, 28, 1\] have 28 channels, .* takes 1; expected "
                                         r"N x C x H x W \(channels last\? x.permute\(0, 3, 1, 2\)\)$"):
        sanity.explain(net, x.permute(0, 2, 3, 1), "gradient", progress=False)


def test_faithfulness_ranks_a_method_of_your_own_as_the_built_in_it_computes():
    net, x = mnist_cnn()

    mine = sanity.method(autograd_gradient, kind="sensitivity")  # as the built-in gradient declares its maps
    r = sanity.faithfulness(net, x, ["gradient", mine], steps=4, progress=False)
    ours, theirs = (r.scores[r.scores.method == m].drop(columns="method").reset_index(drop=True)
                    for m in ("gradient", mine.spec))
    assert len(ours) == len(x)
    np.testing.assert_allclose(theirs.to_numpy(dtype=float), ours.to_numpy(dtype=float), rtol=1e-6, atol=1e-9)


def test_every_randomization_check_gives_a_method_of_your_own_the_engines_states(tmp_path):
    """A torch.autograd gradient scores as the built-in gradient in the checks the tests above leave
    out: bottom-up, the data check's permuted-label model (another module's weights loaded into the
    user's copy), sMPRT's noisy inputs (signed maps: sMPRT averages before it takes magnitudes, so
    Saliency's |gradient| would rightly score otherwise) and eMPRT."""
    net, x = mnist_cnn()
    torch.manual_seed(5)
    permuted = MnistCNN().eval()

    mine = sanity.method(autograd_gradient)
    df, _ = sanity.check(net, x, ["gradient", mine], checks="bottom_up,data,smprt(samples=3),emprt",
                         metrics="spearman_abs", permuted_model=permuted, out=str(tmp_path / "s"), progress=False)
    assert set(df.check) == {"bottom_up", "data", "smprt", "emprt"}
    a, b = by_method(df, "gradient"), by_method(df, mine.spec)
    assert len(a) == len(b) > 0
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=0, atol=1e-6)


def test_a_module_that_is_not_the_exported_model_is_refused():
    """Every model state is checked once: the module's logits must be the engine's (here the module
    handed over has other weights than the model the engine explains)."""
    from sanity import _model_states

    net, x = mnist_cnn()
    m = sanity.model(net, x[:1])
    torch.manual_seed(9)
    other = MnistCNN().eval()
    bridge = _model_states._Bridge(sanity.method(autograd_gradient), other, m._handle)
    params = [arr for _node, _path, _name, arr in bridge.entries]
    logits = lambda a: net(torch.from_numpy(a)).detach().numpy()
    with pytest.raises(ValueError, match=r"method autograd_gradient: the torch module given this model state computes "
                                         r"other logits than the engine's \(largest difference .* of the largest logit\)"):
        bridge(params, x.numpy(), np.zeros(len(x), np.int64), logits)
    same = _model_states._Bridge(sanity.method(autograd_gradient), net, m._handle)
    assert same(params, x.numpy(), np.zeros(len(x), np.int64), logits).shape == tuple(x.shape)
