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
    sanity.run(tiny_config(onnx_path, images_path, out), threads=2, progress=False)
    html = sanity.report(out)
    assert html == os.path.join(out, "report", "report.html") and os.path.getsize(html) > 0


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
