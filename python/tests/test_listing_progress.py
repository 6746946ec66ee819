"""The registries as the CLI lists them, and progress: tqdm bars, the caller's own bar, none."""

import sanity
from sanity import _progress, _sanity
from conftest import run_cli


def test_listing_equals_the_cli():
    for kind, listed in (("methods", sanity.methods()), ("metrics", sanity.metrics()), ("checks", sanity.checks()),
                         ("rules", sanity.rules()), ("composites", sanity.composites())):
        text = run_cli("list", kind).stdout
        assert _sanity.listing(kind) == text
        # Every entry's synopsis line is the CLI's, in the same order.
        at = [text.index("  %s\n" % e["synopsis"]) for e in listed.values()]
        assert at == sorted(at) and len(at) > 0
    ig = sanity.methods()["integrated_gradients"]
    assert ig["options"]["steps"]["default"] == "50" and ig["wraps"] == 0
    assert sanity.methods()["smoothgrad"]["wraps"] == 1
    assert {"cascading", "independent", "data"} <= set(sanity.checks())
    assert {"spearman_abs", "ssim", "hog"} <= set(sanity.metrics())


class Recorder:
    def __init__(self):
        self.calls = []

    def start(self, label, total):
        self.calls.append(("start", label, total))

    def update(self, done, total, status):
        self.calls.append(("update", done, total))

    def end(self, completed):
        self.calls.append(("end", completed))


def test_progress_object(model, images):
    r = Recorder()
    sanity.explain(model, images, "gradient,guided_backprop", progress=r)
    assert r.calls[0] == ("start", "explain", 2) and r.calls[-1] == ("end", True)
    done = [c[1] for c in r.calls if c[0] == "update"]
    assert done == sorted(done) and done[-1] == 2


def test_tqdm_bar(model, images, capfd):
    assert _progress.HAVE_TQDM  # python3-tqdm is in scripts/setup.sh's list
    sanity.explain(model, images, "gradient,guided_backprop", progress=True)
    err = capfd.readouterr().err
    assert "explain" in err and "2/2" in err
    sanity.explain(model, images, "gradient", progress=False)
    assert capfd.readouterr().err == ""


def test_check_progress(net, images, workdir):
    r = Recorder()
    df, _ = sanity.check(net, images, "gradient", checks="cascading", metrics="spearman_abs",
                         out=str(workdir / "progress"), progress=r)
    starts = [c for c in r.calls if c[0] == "start"]
    assert len(starts) == 1 and starts[0][2] == df.stage.nunique()  # one unit per stage for one method
    assert r.calls[-1] == ("end", True)
