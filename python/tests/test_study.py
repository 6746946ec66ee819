"""sanity.run and sanity.report on a tiny configured study, against `sanity run` on the same config."""
import json
import os

import pandas as pd
import pytest

import sanity
from conftest import cli_error, run_cli


def tiny_config(onnx_path, images_path, out):
    return {"out": out, "testbed": {"count": 6}, "models": [{"name": "tiny", "onnx": onnx_path, "data": images_path}],
            "methods": ["gradient", "guided_backprop"], "checks": ["cascading"], "metrics": "spearman_abs",
            "report": False}


def test_run_equals_the_cli_and_resumes(onnx_path, images_path, workdir):
    out = str(workdir / "run_py")
    config = tiny_config(onnx_path, images_path, out)
    s = sanity.run(config, threads=2, progress=False)
    assert s["units_done"] > 0 and s["units_skipped"] == 0 and s["store"] == out + "/results.sqlite"
    again = sanity.run(config, threads=2, progress=False)
    assert again["units_done"] == 0 and again["units_skipped"] == s["units_done"]
    path = str(workdir / "tiny.json")
    with open(path, "w") as f:
        json.dump(tiny_config(onnx_path, images_path, str(workdir / "run_cli")), f)
    run_cli("run", path, "--threads", "2", "--quiet")
    py, cli = sanity.load(out), sanity.load(str(workdir / "run_cli"))
    pd.testing.assert_frame_equal(py.drop(columns="run_id"), cli.drop(columns="run_id"), check_exact=True)
    st = sanity.stages(out)
    assert st[st.check == "cascading"].stage.tolist() == sorted(st[st.check == "cascading"].stage.tolist())
    assert st[(st.check == "cascading") & (st.stage == 0)].label.tolist() == ["original"]


def test_report(onnx_path, images_path, workdir):
    out = str(workdir / "run_report")
    config = tiny_config(onnx_path, images_path, out)
    config["methods"].append("sobel")
    config["verdicts"] = {"threshold": 0.875}  # recorded in study.json, read back by the report
    sanity.run(config, threads=2, progress=False)
    html = sanity.report(out)
    assert html == os.path.join(out, "report", "report.html")
    with open(html) as f:
        page = f.read()
    # The scorecard opens the page, judged by the study's rule, with intervals as the figures' bands.
    assert page.index('<section id="scorecard">') < page.index('<div class="chart"')
    assert '&quot;threshold&quot;:0.875' in page and "bootstrap confidence interval of the mean" in page
    assert page.count('<tr data-method="') == 3
    # The call's options override the rule and the bands.
    with open(sanity.report(out, threshold=0.25, margin=0, alpha=0.01, bands="std")) as f:
        page = f.read()
    assert '&quot;threshold&quot;:0.25' in page and '&quot;alpha&quot;:0.01' in page and '&quot;margin&quot;:0.0' in page
    assert "1 standard deviation" in page
    with pytest.raises(ValueError, match="argument bands: expected ci or std, got \"median\""):
        sanity.report(out, bands="median")


def test_bad_config(workdir):
    bad = {"testbed": {"cout": 5}}
    path = str(workdir / "bad.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    code, expected = cli_error("run", path)
    assert code == 2
    with pytest.raises(ValueError) as e:
        sanity.run(bad, progress=False)
    assert str(e.value) == expected.replace(path, "config")
    with pytest.raises(ValueError) as e:
        sanity.run(path, progress=False)
    assert str(e.value) == expected
