#!/usr/bin/env python3
"""The BLAS's single-precision matrix product rate in the torch of this interpreter, on the shapes
of the MNIST models' linear layers:

    .venv/bin/python bench/gemm_rate.py [THREADS]                  # the torch wheel's MKL
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/gemm_rate.py 1   # Debian's python3-torch (OpenBLAS)

Each shape is multiplied for one second after three warm-up products; prints GFLOP/s. bench/RESULTS.md
(issue 34) compares the two libraries on one machine.
"""
import sys
import time

import torch

SHAPES = ((1024, 1024, 1024), (256, 3136, 1024), (256, 1024, 10))  # M x K x N


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    for m, k, n in SHAPES:
        a, b = torch.randn(m, k), torch.randn(k, n)
        for _ in range(3):
            a @ b
        start, repeats = time.perf_counter(), 0
        while time.perf_counter() - start < 1.0:
            a @ b
            repeats += 1
        seconds = (time.perf_counter() - start) / repeats
        print(f"torch {torch.__version__} {m}x{k}x{n}: {2 * m * n * k / seconds / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
