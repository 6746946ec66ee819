"""sanity.faithfulness and sanity.csc against the CLI on the same inputs."""
import os

import pandas as pd

import sanity
from conftest import run_cli


def test_faithfulness_equals_the_cli(model, onnx_path, images, images_path, workdir):
    methods = "gradient,integrated_gradients(steps=8),noise"
    out = str(workdir / "py_faith")
    r = sanity.faithfulness(model, images, methods, out=out, patch=4, steps=8, threads=2, progress=False)
    cli_out = str(workdir / "cli_faith")
    run_cli("faithfulness", "--model", onnx_path, "--data", images_path, "--methods", methods, "--out", cli_out,
            "--patch", "4", "--steps", "8", "--threads", "2", "--quiet")
    # The files the CLI writes print 9 significant digits; the stores hold the numbers themselves.
    scores = pd.read_csv(os.path.join(cli_out, "scores.csv"))
    pd.testing.assert_frame_equal(r.scores, scores, check_dtype=False, rtol=1e-8)
    curves = pd.read_csv(os.path.join(cli_out, "curves.csv"))
    pd.testing.assert_frame_equal(r.curves, curves, check_dtype=False, rtol=1e-8)
    ranking = pd.read_csv(os.path.join(cli_out, "ranking.csv"))
    pd.testing.assert_frame_equal(r.ranking, ranking, check_dtype=False, rtol=1e-8)
    py_rows, cli_rows = sanity.load(out), sanity.load(cli_out)
    pd.testing.assert_frame_equal(py_rows.drop(columns="run_id"), cli_rows.drop(columns="run_id"), check_exact=True)
    # Methods are named by their canonical specs, as in the CLI's files.
    ig = "integrated_gradients(baseline=zero, rule=linspace, steps=8)"
    assert set(r.means) == {"gradient", ig, "noise(distribution=normal)"} == set(scores.method)
    assert r.order["gradient"] == "absolute" and r.order[ig] == "signed"


def test_csc_equals_the_cli(model, onnx_path, images, images_path, workdir):
    methods = "lrp_zplus,gradient"
    df = sanity.csc(model, images, methods, samples=3, threads=2, progress=False)
    cli_out = str(workdir / "cli_csc")
    run_cli("csc", "--model", onnx_path, "--data", images_path, "--methods", methods, "--samples", "3", "--out",
            cli_out, "--threads", "2", "--quiet")
    cli = pd.read_csv(os.path.join(cli_out, "csc.csv"))
    cols = list(cli.columns)
    pd.testing.assert_frame_equal(df[cols], cli, check_dtype=False, rtol=1e-5)
    assert set(df.method) == {"lrp_zplus", "gradient"} and (df.images == len(images)).all()


def test_settings_arguments_come_from_the_tables(model, images, workdir):
    # The signatures list every setting of the tables (docs/SETTINGS.md), keyword-only, None: the default.
    import inspect
    import pytest
    for function, tables in ((sanity.faithfulness, ["faithfulness"]), (sanity.report, ["report", "verdicts"])):
        params = inspect.signature(function).parameters
        names = [e["name"] for t in tables for e in sanity._sanity.settings(t)]
        assert names and all(params[n].kind is inspect.Parameter.KEYWORD_ONLY and params[n].default is None
                             for n in names)
        assert all(n + ":" in function.__doc__ for n in names)
    assert "insertion_blur_sigma" in inspect.signature(sanity.faithfulness).parameters
    # The table checks the values, naming the function and the argument, before any work.
    with pytest.raises(ValueError, match=r"^sanity.faithfulness: argument patch: expected an integer >= 1, got 0$"):
        sanity.faithfulness(model, images[:2], "gradient", patch=0, progress=False)
    with pytest.raises(ValueError, match=r'argument insertion_baseline: expected uniform, zero, mean or blur, got "gray"'):
        sanity.faithfulness(model, images[:2], "gradient", insertion_baseline="gray", progress=False)
    with pytest.raises(ValueError, match=r"argument alpha: expected a number in \(0, 1\), got 1.5"):
        sanity.report(str(workdir), alpha=1.5)
    with pytest.raises(ValueError, match=r"sanity.report: unknown argument zooom; its settings are images, "):
        sanity.report(str(workdir), zooom=2)
