#!/usr/bin/env python3
"""Compares two results.sqlite stores row by row, values bit for bit.

    python3 bench/compare_stores.py BEFORE/results.sqlite AFTER/results.sqlite [--tolerance T]

Used to show that a refactoring changed no result: run the same study config (for example
bench/coverage_study.json, which covers every method, metric and check) with the code before and
after, at --threads 1, then compare. Runs are matched by (model, data, seed) in creation order, the
study directory's own path written as <study> (models trained into it), data without its content key
(the key after '#', whose hash function may differ between the versions compared: reported);
measurements, completed units and stage labels must then agree exactly (a value's 64 bits, NULL =
NaN included). The runs' options JSON is compared too and reported, since it decides resumption.
--tolerance T accepts values that differ by at most T (absolute; NaN only equals NaN): two devices'
stores (scripts/gpu.sh), whose floating-point sums are not ordered alike.
Exit status: 0 identical (or within T), 1 different, 2 bad input.
"""
import os
import sqlite3
import struct
import sys


def bits(v):
    return None if v is None else struct.pack("<d", v)


def load(path):
    study = os.path.dirname(os.path.abspath(path))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        runs = db.execute("SELECT run_id, model, data, options, seed FROM runs ORDER BY run_id").fetchall()
    except sqlite3.Error as e:
        sys.exit(f"{path}: not a results store ({e})")
    ids = {r[0]: i for i, r in enumerate(runs)}  # run ids renumbered 0, 1, ... in creation order
    meas = {}
    for row in db.execute("SELECT run_id, check_name, stage, method, metric, layer, image, step, value FROM measurements"):
        meas[(ids[row[0]],) + tuple(row[1:8])] = bits(row[8])
    units = {(ids[r[0]],) + tuple(r[1:4]) for r in db.execute("SELECT run_id, check_name, stage, method FROM units")}
    stages = {(ids[r[0]],) + tuple(r[1:3]): r[3] for r in db.execute("SELECT run_id, check_name, stage, label FROM stages")}
    # Paths inside the study directory (its trained models) name the same files in either store.
    runs = [tuple(v.replace(study, "<study>") if isinstance(v, str) else v for v in r) for r in runs]
    return [(r[1], r[2], r[3], r[4]) for r in runs], meas, units, stages


def value(b):
    return None if b is None else struct.unpack("<d", b)[0]


def close(a, b, tolerance):
    """Whether two stored values (64-bit patterns, None = NaN) agree within the tolerance."""
    if a == b:
        return True
    x, y = value(a), value(b)
    if x is None or y is None or x != x or y != y:
        return (x is None or x != x) and (y is None or y != y)
    return abs(x - y) <= tolerance


def print_differences(changed, meas_a, meas_b):
    """How far apart the changed values are: the largest absolute difference, per metric too."""
    worst = {}
    for k in changed:
        a, b = value(meas_a[k]), value(meas_b[k])
        if a is None or b is None or a != a or b != b:
            d = float("inf")  # NaN on one side only
        else:
            d = abs(a - b)
        if d > worst.get(k[4], (-1.0, None))[0]:
            worst[k[4]] = (d, k)
    for metric, (d, k) in sorted(worst.items(), key=lambda e: -e[1][0]):
        print(f"  largest |difference| {d:.3g} in {metric}: {k} {value(meas_a[k])!r} vs {value(meas_b[k])!r}")


def main():
    args = sys.argv[1:]
    tolerance = 0.0
    if len(args) == 4 and args[2] == "--tolerance":
        tolerance = float(args[3])
        args = args[:2]
    if len(args) != 2:
        sys.exit(__doc__)
    (runs_a, meas_a, units_a, stages_a), (runs_b, meas_b, units_b, stages_b) = load(args[0]), load(args[1])
    same = True
    if [(m, d.split("#")[0], s) for m, d, _, s in runs_a] != [(m, d.split("#")[0], s) for m, d, _, s in runs_b]:
        print("runs differ (model, data, seed):", runs_a, runs_b)
        same = False
    for i, (a, b) in enumerate(zip(runs_a, runs_b)):
        if a[1] != b[1]:
            print(f"run {i + 1}: data content keys differ: before {a[1]}, after {b[1]}")
        if a[2] != b[2]:
            print(f"run {i + 1}: options differ:\n  before {a[2]}\n  after  {b[2]}")
    only_a, only_b = meas_a.keys() - meas_b.keys(), meas_b.keys() - meas_a.keys()
    changed = [k for k in meas_a.keys() & meas_b.keys() if not close(meas_a[k], meas_b[k], tolerance)]
    for name, keys in (("only before", only_a), ("only after", only_b), ("different value", changed)):
        if keys:
            same = False
            print(f"{len(keys)} measurement rows {name}, e.g.:")
            for k in sorted(keys, key=str)[:5]:
                print("  ", k, meas_a.get(k), meas_b.get(k))
    if changed:
        print_differences(changed, meas_a, meas_b)
    if tolerance > 0:
        pairs = [(value(meas_a[k]), value(meas_b[k])) for k in meas_a.keys() & meas_b.keys()]
        diffs = [abs(x - y) for x, y in pairs if x is not None and y is not None and x == x and y == y]
        print(f"largest |difference| of the values both stores hold: {max(diffs, default=0.0):.3g}")
    if units_a != units_b:
        same = False
        print(f"units differ: {len(units_a - units_b)} only before, {len(units_b - units_a)} only after")
    if stages_a != stages_b:
        same = False
        print("stage labels differ:", sorted(set(stages_a.items()) ^ set(stages_b.items()))[:5])
    checks = sorted({k[1] for k in meas_a})
    methods = sorted({k[3] for k in meas_a if k[3]})
    metrics = sorted({k[4] for k in meas_a})
    print(f"{len(meas_a)} vs {len(meas_b)} measurement rows, {len(units_a)} vs {len(units_b)} units; "
          f"{len(runs_a)} runs, {len(checks)} checks, {len(methods)} methods, {len(metrics)} metrics/quantities")
    if tolerance > 0:
        print(f"WITHIN {tolerance:g}: every measurement row" if same else f"DIFFERENT (beyond {tolerance:g})")
    else:
        print("IDENTICAL: every measurement row bit for bit" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
