#!/usr/bin/env python3
"""Why a schedule can change results: the same rows through one matrix product, alone and in batches.

    .venv/bin/python bench/gemm_rows.py                          # the BLAS's own kernel choice
    MKL_ENABLE_INSTRUCTIONS=AVX2 .venv/bin/python bench/gemm_rows.py
    MKL_ENABLE_INSTRUCTIONS=AVX512 .venv/bin/python bench/gemm_rows.py
    .venv/bin/python bench/gemm_rows.py --threads                # one product on 1 thread and on 2

Runs the project environment's torch, whose MKL is the BLAS sanity runs on (the same LibTorch; set
MKL_VERBOSE=1 to see the instruction set it dispatches to). With Debian's python3-torch (OpenBLAS),
OPENBLAS_CORETYPE=Haswell / SkylakeX choose the kernel instead. For each linear layer of the MNIST models (the CNN's
fc1 and fc2, the MLP's hidden layers) the first two rows are computed alone, then as the first rows
of batches of M rows; each line says for which M their bits differ and by how much. One thread, so
the difference is the kernel's, not a split between threads. docs/DETERMINISM.md says what follows.
"""
import ctypes
import sys

import torch

BATCHES = (1, 2, 3, 4, 5, 6, 8, 16, 50, 250, 256)
LAYERS = (("cnn fc1", 3136, 1024), ("cnn fc2", 1024, 10), ("mlp hidden2", 500, 500), ("mlp logits", 500, 10))


def set_blas_threads(n):
    """torch.set_num_threads does not reach OpenBLAS's pthreads build: call it in every OpenBLAS loaded."""
    torch.set_num_threads(n)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and line.split()[-1].startswith("/")}
    for path in paths:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_set_num_threads(n)


def threads():
    """Each layer's product of 256 rows on one thread and on two: the same bits?"""
    torch.manual_seed(0)
    for name, fan_in, fan_out in LAYERS:
        w, b, x = torch.randn(fan_out, fan_in) * 0.05, torch.randn(fan_out) * 0.1, torch.randn(256, fan_in)
        y = []
        for n in (1, 2):
            set_blas_threads(n)
            y.append(torch.nn.functional.linear(x, w, b))
        d = (y[0] - y[1]).abs().max().item()
        print(f"{name:12s} K={fan_in:5d} N={fan_out:5d}  1 vs 2 threads: " + ("same" if d == 0 else f"{d:.0e}"))


def main():
    if sys.argv[1:] == ["--threads"]:
        return threads()
    torch.manual_seed(0)
    set_blas_threads(1)
    for name, fan_in, fan_out in LAYERS:
        w, b = torch.randn(fan_out, fan_in) * 0.05, torch.randn(fan_out) * 0.1
        x = torch.randn(max(BATCHES), fan_in)
        alone = torch.nn.functional.linear(x[:2], w, b)
        cells = []
        for m in BATCHES:
            r = min(m, 2)
            y = torch.nn.functional.linear(x[:m], w, b)[:r]
            same = torch.equal(y, alone[:r])
            cells.append(f"M={m}:" + ("same" if same else f"{(y - alone[:r]).abs().max().item():.0e}"))
        print(f"{name:12s} K={fan_in:5d} N={fan_out:5d}  " + " ".join(cells))


if __name__ == "__main__":
    main()
