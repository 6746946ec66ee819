"""pandas tables of what the library returns. pandas is imported on first use: `import sanity`
and explain() do not pay for it."""
import numpy as np

from . import _sanity


def _pd():
    import pandas
    return pandas

# sanity export's measurements.csv columns, in its order (docs/RESULTS_SCHEMA.md).
MEASUREMENT_COLUMNS = ("run_id", "check", "stage", "method", "metric", "layer", "image", "step", "value")


def measurements(columns):
    """Long form, one number per row, in the store's key order."""
    return _pd().DataFrame({k: columns[k] for k in MEASUREMENT_COLUMNS}, columns=list(MEASUREMENT_COLUMNS))


def readable(df, stage_labels):
    """Measurements as a pandas user reads them: `method` and `metric` as written in a call (the
    options their entries fill in anyway left out: "ssim", "smoothgrad(gradient)"), the stored full
    specs beside them (method_spec, metric_spec), and each stage's label after its number."""
    df = df.reset_index(drop=True)
    out = df.assign(method_spec=df.method, metric_spec=df.metric)
    for column, kind in (("method", "methods"), ("metric", "metrics")):
        short = {s: _sanity.short_spec(kind, s) for s in set(df[column])}
        out[column] = df[column].map(short)
    labels = stage_labels.rename(columns={"label": "stage_label"})
    out = out.merge(labels, on=["run_id", "check", "stage"], how="left")
    out["stage_label"] = out["stage_label"].fillna("")
    order = ["run_id", "check", "stage", "stage_label", "method", "metric", "layer", "image", "step", "value",
             "method_spec", "metric_spec"]
    return out[order]


def records(rows, columns=None):
    return _pd().DataFrame.from_records(rows, columns=columns)


def faithfulness_scores(result):
    """scores.csv's table: method, image, target, then one column per measure."""
    frames = []
    for m in result["methods"]:
        d = {"method": m["spec"], "image": result["ids"], "target": result["targets"]}
        d.update(m["scores"])
        frames.append(_pd().DataFrame(d))
    return _pd().concat(frames, ignore_index=True) if frames else _pd().DataFrame()


def faithfulness_curves(result):
    """curves.csv's table: method, image, curve, step, value (long form)."""
    frames = []
    ids = np.asarray(result["ids"])
    for m in result["methods"]:
        for name, curve in m["curves"].items():
            n, k = curve.shape
            frames.append(_pd().DataFrame({"method": m["spec"], "image": np.repeat(ids, k), "curve": name,
                                        "step": np.tile(np.arange(k), n), "value": curve.reshape(-1)}))
    return _pd().concat(frames, ignore_index=True) if frames else _pd().DataFrame()


def ranking(r):
    """ranking.csv's table: one row per method, score and rank per measure."""
    d = {"method": r["methods"]}
    for j, measure in enumerate(r["measures"]):
        d[measure] = [row[j] for row in r["scores"]]
        d[measure + "_rank"] = [row[j] for row in r["ranks"]]
    return _pd().DataFrame(d)


def rank_correlation(r):
    return _pd().DataFrame(r["rank_correlation"], index=r["measures"], columns=r["measures"])
