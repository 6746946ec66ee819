"""sanity.check and sanity.load against the CLI on the same inputs, and Ctrl-C during a check: the
store keeps what was done and the same call resumes it, with the results of an uninterrupted run."""
import os
import signal
import sqlite3
import threading
import time

import numpy as np
import pandas as pd
import pytest

import sanity
from conftest import run_cli

METHODS = "gradient,guided_backprop,smoothgrad(gradient, n=4)"
METRICS = "spearman_abs, ssim"


def without_run(df):
    return df.drop(columns="run_id").reset_index(drop=True)


def inputs_of(out):
    files = sorted(os.listdir(os.path.join(out, "inputs")))
    onnx = [f for f in files if f.endswith(".onnx")]
    npy = [f for f in files if f.startswith("images-")]
    assert len(onnx) == 1 and len(npy) == 1, files
    return os.path.join(out, "inputs", onnx[0]), os.path.join(out, "inputs", npy[0])


def test_check_equals_the_cli(net, images, workdir):
    out = str(workdir / "py_check")
    df, store = sanity.check(net, images, METHODS, checks="cascading,independent", metrics=METRICS, out=out,
                             threads=2, progress=False)
    assert store == os.path.join(out, "results.sqlite") and os.path.exists(store)
    assert list(df.columns) == ["run_id", "check", "stage", "stage_label", "method", "metric", "layer", "image", "step",
                                "value", "method_spec", "metric_spec"]
    assert set(df["check"]) == {"cascading", "independent"}
    # Names as a call writes them beside the stored specs; stages labelled; per-image rows only.
    assert set(df.metric) == {"spearman_abs", "ssim"} and (df.image >= 0).all()
    assert (df[df.stage == 0].stage_label == "original").all() and (df[df.stage == 1].stage_label != "").all()
    model = sanity.model_rows(store)
    assert len(model) > 0 and "method" not in model.columns
    assert df.attrs["units_done"] > 0 and df.attrs["units_skipped"] == 0
    # The CLI on the files the study kept of the module and the array.
    onnx, npy = inputs_of(out)
    cli_out = str(workdir / "cli_check")
    run_cli("check", "--model", onnx, "--data", npy, "--count", "0", "--methods", METHODS, "--checks",
            "cascading,independent", "--metrics", METRICS, "--out", cli_out, "--threads", "2", "--quiet")
    cli = sanity.load(cli_out)
    pd.testing.assert_frame_equal(without_run(sanity.load(store)), without_run(cli), check_exact=True)
    # load() is sanity export's measurements.csv, read by pandas.
    run_cli("export", "--db", os.path.join(cli_out, "results.sqlite"), "--out", cli_out + "/export", "--format", "csv")
    exported = pd.read_csv(cli_out + "/export/measurements.csv", keep_default_na=False, na_values={"value": [""]})
    # (The CSV prints 15 significant digits.)
    pd.testing.assert_frame_equal(cli, exported, check_exact=False, rtol=1e-14)
    # Similarity of the trained model with itself is 1 at stage 0, and below 1 once layers are random.
    first = df[(df.check == "cascading") & (df.metric == "spearman_abs") & (df.method == "gradient")]
    assert np.allclose(first[first.stage == 0].value, 1.0)
    assert first[first.stage == first.stage.max()].value.mean() < 0.9


def units_in(store):
    """Finished (check, stage, method) units; a stage's own quantities (method '') are not counted."""
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True, timeout=5)
    try:
        return db.execute("SELECT count(*) FROM units WHERE method != ''").fetchone()[0]
    finally:
        db.close()


def interrupt_after_first_unit(store, stop):
    """Ctrl-C (SIGINT to this process) once the store holds a finished unit, as a user would press it."""
    while not stop.is_set():
        if os.path.exists(store):
            try:
                if units_in(store) > 0:
                    os.kill(os.getpid(), signal.SIGINT)
                    return
            except sqlite3.OperationalError:
                pass  # the schema is being created
        time.sleep(0.002)


SLOW = "gradient,smoothgrad(gradient, n=64),integrated_gradients(steps=64)"


def test_ctrl_c_keeps_the_store_and_resumes(net, workdir):
    x = np.random.default_rng(2).random((32, 1, 16, 16), dtype=np.float32)
    out = str(workdir / "interrupted")
    store = os.path.join(out, "results.sqlite")
    stop = threading.Event()
    t = threading.Thread(target=interrupt_after_first_unit, args=(store, stop))
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sanity.check(net, x, SLOW, checks="cascading", metrics="spearman_abs", out=out, threads=2, progress=False)
    finally:
        stop.set()
        t.join()
    kept = units_in(store)
    assert kept > 0
    df, _ = sanity.check(net, x, SLOW, checks="cascading", metrics="spearman_abs", out=out, threads=2, progress=False)
    assert df.attrs["units_skipped"] == kept and df.attrs["units_done"] > 0
    full, _ = sanity.check(net, x, SLOW, checks="cascading", metrics="spearman_abs", out=str(workdir / "whole"),
                           threads=2, progress=False)
    assert full.attrs["units_skipped"] == 0
    pd.testing.assert_frame_equal(without_run(df), without_run(full), check_exact=True)


def test_interrupt_from_a_progress_bar(net, images, workdir):
    """A KeyboardInterrupt raised while the bar draws (Python code during the call) stops the work too."""
    out = str(workdir / "bar_interrupted")

    class Bar:
        def start(self, label, total):
            self.total = total

        def update(self, done, total, status):
            if done >= 1:
                raise KeyboardInterrupt

        def end(self, completed):
            self.completed = completed

    bar = Bar()
    with pytest.raises(KeyboardInterrupt):
        sanity.check(net, images, "gradient,guided_backprop", checks="cascading", metrics="spearman_abs", out=out,
                     threads=2, progress=bar)
    assert bar.completed is False
    kept = units_in(os.path.join(out, "results.sqlite"))
    assert 0 < kept < bar.total
    df, _ = sanity.check(net, images, "gradient,guided_backprop", checks="cascading", metrics="spearman_abs",
                         out=out, threads=2, progress=False)
    assert df.attrs["units_skipped"] == kept
