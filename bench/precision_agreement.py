#!/usr/bin/env python3
"""How far a lower precision (--precision bf16 or tf32) agrees with float32, the reference.

    python3 bench/precision_agreement.py maps FLOAT32_DIR LOW_DIR [--min-median R]
        two `sanity explain` outputs of the same model and images: per method, Spearman's rho
        between the two maps of each image (lowest and median over images), and whether the target
        classes are the same. Exit 1 if a method's median is below R (default 0.9) or targets differ.
    python3 bench/precision_agreement.py stores FLOAT32_STORE LOW_STORE
        two results.sqlite of the same study at two precisions: per check and metric, how far the
        stored per-image scores are apart (mean and largest absolute difference, Pearson r of the
        scores), matching runs by their position and rows by (check, stage, method, metric, layer,
        image, step).

The verdicts of two reports are compared by bench/compare_scorecards.py. docs/GPU.md ("Precision")
has the numbers this gives for the default study.
"""
import argparse
import json
import os
import sqlite3
import sys

import numpy as np


def ranks(v):
    """Average ranks (ties share theirs), as scipy.stats.rankdata."""
    order = np.argsort(v, kind="mergesort")
    s = v[order]
    r = np.empty(len(v), dtype=np.float64)
    starts = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    ends = np.r_[starts[1:], len(v)]
    for a, b in zip(starts, ends):
        r[order[a:b]] = (a + b + 1) / 2.0
    return r


def spearman(a, b):
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if np.array_equal(a, b) else float("nan")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def compare_maps(ref_dir, low_dir, min_median):
    ref = json.load(open(os.path.join(ref_dir, "explain.json")))
    low = json.load(open(os.path.join(low_dir, "explain.json")))
    ok = ref["targets"] == low["targets"]
    print(f"{len(ref['targets'])} images, same target classes: {ok}")
    print(f"{'method':<44} {'lowest rho':>10} {'median rho':>10}")
    for m_ref, m_low in zip(ref["methods"], low["methods"]):
        a = np.load(os.path.join(ref_dir, m_ref["file"]))
        b = np.load(os.path.join(low_dir, m_low["file"]))
        rho = np.array([spearman(a[i], b[i]) for i in range(a.shape[0])])
        lowest, median = np.nanmin(rho), np.nanmedian(rho)
        ok &= bool(median >= min_median)
        print(f"{m_ref['spec']:<44} {lowest:>10.4f} {median:>10.4f}{'' if median >= min_median else '  below'}")
    return 0 if ok else 1


def rows(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    runs = [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY run_id")]
    position = {run: i for i, run in enumerate(runs)}
    out = {}
    for run, check, stage, method, metric, layer, image, step, value in db.execute(
            "SELECT run_id, check_name, stage, method, metric, layer, image, step, value FROM measurements"):
        out[(position[run], check, stage, method, metric, layer, image, step)] = value
    return out


def compare_stores(ref_path, low_path):
    ref, low = rows(ref_path), rows(low_path)
    shared = sorted(set(ref) & set(low))
    print(f"{len(shared)} scores in both stores ({len(ref) - len(shared)} only in the first, "
          f"{len(low) - len(shared)} only in the second)")
    groups = {}
    for key in shared:
        a, b = ref[key], low[key]
        if a is None or b is None:
            continue  # NaN (an undefined score)
        groups.setdefault((key[1], key[4]), []).append((a, b))
    print(f"{'check':<16} {'metric':<34} {'scores':>7} {'mean |d|':>9} {'max |d|':>9} {'r':>7}")
    for (check, metric), pairs in sorted(groups.items()):
        x = np.array(pairs, dtype=np.float64)
        d = np.abs(x[:, 0] - x[:, 1])
        r = np.corrcoef(x[:, 0], x[:, 1])[0, 1] if len(x) > 2 and x[:, 0].std() > 0 and x[:, 1].std() > 0 else float("nan")
        print(f"{check:<16} {metric:<34} {len(x):>7} {d.mean():>9.4f} {d.max():>9.4f} {r:>7.4f}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("maps")
    m.add_argument("reference")
    m.add_argument("low")
    m.add_argument("--min-median", type=float, default=0.9)
    s = sub.add_parser("stores")
    s.add_argument("reference")
    s.add_argument("low")
    a = p.parse_args()
    if a.command == "maps":
        return compare_maps(a.reference, a.low, a.min_median)
    return compare_stores(a.reference, a.low)


if __name__ == "__main__":
    sys.exit(main())
