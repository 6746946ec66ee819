"""What the Python module costs over the CLI for the same work: explaining a test bed of MNIST images
(default 200) with the gradient family, `sanity explain` against `sanity.explain` from python3.

Both sides do the same work: the built-in CNN (untrained, weights from seed 0; the work does not
depend on the weights), MNIST test images chosen the same way, the same methods, threads and batch
size. Timed per repetition, the two alternating:
  process  the whole command in a fresh process, start-up included: `sanity explain ... --no-png`
           (which also writes the .npy maps) against `python3 -c "import sanity; sanity.explain(...)"`
           (which keeps them as NumPy arrays);
  call     the library work alone: the methods' own seconds as explain.json and Explanations.seconds
           report them, and the Python call's wall time around sanity.explain.
Prints medians and the ratios Python / CLI.

    PYTHONPATH=build/python python3 bench/python_vs_cli.py [--cli build/sanity] [--repeats 5] [--threads 2]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

METHODS = "gradient,gradient_x_input,integrated_gradients,smoothgrad(gradient),vargrad(gradient)"

PYTHON_SIDE = r"""
import json, sys, time
t0 = time.perf_counter()
import sanity
methods, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t1 = time.perf_counter()
maps = sanity.explain("cnn", "mnist", methods, count=count, threads=threads, progress=False)
t2 = time.perf_counter()
json.dump({"import": t1 - t0, "call": t2 - t1, "methods": sum(maps.seconds.values())}, sys.stdout)
"""


def run_cli(cli, methods, count, threads, out):
    t = time.perf_counter()
    subprocess.run([cli, "explain", "--model", "cnn", "--data", "mnist", "--count", str(count), "--methods", methods,
                    "--out", out, "--no-png", "--threads", str(threads), "--quiet"], check=True, capture_output=True)
    wall = time.perf_counter() - t
    with open(os.path.join(out, "explain.json")) as f:
        seconds = sum(m["seconds"] for m in json.load(f)["methods"])
    return wall, seconds


def run_python(methods, count, threads):
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", PYTHON_SIDE, methods, str(count), str(threads)], check=True,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    return wall, json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=os.path.join(os.path.dirname(__file__), "..", "build", "sanity"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--methods", default=METHODS)
    a = ap.parse_args()
    cli_wall, cli_methods, py_wall, py_call, py_methods, py_import = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        run_cli(a.cli, a.methods, a.count, a.threads, tmp)  # warm-up: the file cache, MNIST read once
        run_python(a.methods, a.count, a.threads)
        for _ in range(a.repeats):
            w, s = run_cli(a.cli, a.methods, a.count, a.threads, tmp)
            cli_wall.append(w)
            cli_methods.append(s)
            w, r = run_python(a.methods, a.count, a.threads)
            py_wall.append(w)
            py_call.append(r["call"])
            py_methods.append(r["methods"])
            py_import.append(r["import"])
    med = statistics.median
    print("machine: %s, %d cores, Python %s; %d repetitions, medians; %d MNIST test images, %d threads"
          % (platform.processor() or platform.machine(), os.cpu_count(), platform.python_version(), a.repeats,
             a.count, a.threads))
    print("methods: %s" % a.methods)
    print("%-34s %10s %10s %8s" % ("", "CLI s", "Python s", "ratio"))
    print("%-34s %10.3f %10.3f %8.3f" % ("process (start-up to exit)", med(cli_wall), med(py_wall),
                                         med(py_wall) / med(cli_wall)))
    print("%-34s %10.3f %10.3f %8.3f" % ("methods' own seconds", med(cli_methods), med(py_methods),
                                         med(py_methods) / med(cli_methods)))
    print("%-34s %10s %10.3f" % ("Python: import sanity", "", med(py_import)))
    print("%-34s %10s %10.3f" % ("Python: the sanity.explain call", "", med(py_call)))
    print("all runs: CLI process %s; Python process %s" % (["%.3f" % v for v in cli_wall], ["%.3f" % v for v in py_wall]))


if __name__ == "__main__":
    main()
