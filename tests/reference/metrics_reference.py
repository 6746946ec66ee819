"""Reference values for the similarity metrics (src/metrics) from scipy and skimage.

Writes map pairs (random, correlated, tied and structured), the maps after the authors' preparation
(re-implemented here in numpy from docs/DEFINITIONS.md), and per pair: scipy.stats.spearmanr / pearsonr,
cosine, MSE, top-k intersection, scipy.stats.kendalltau (tau-b), skimage SSIM (data_range 1 and 2)
and skimage HOG vectors with their rank and linear correlations. The C++ test (test_metrics_reference.cpp) compares.
"""
import os

import numpy as np
import scipy.stats
from skimage.feature import hog
from skimage.metrics import structural_similarity

import common

HOG_CELL = {(28, 28): 9, (64, 80): 16}  # sanity's cell=auto on these sizes


def blob(h, w, cy, cx, s):
    y, x = np.mgrid[0:h, 0:w]
    return np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s))


def make_sets(rng):
    """Name -> (a, b) float32 batches [N, C, H, W]."""
    sets = {}
    # MNIST-sized 1-channel maps: independent, correlated, quantized (many ties), sparse (zeros).
    n = 12
    a = rng.standard_normal((n, 1, 28, 28))
    b = np.concatenate([rng.standard_normal((3, 1, 28, 28)),                      # independent
                        a[3:6] + 0.5 * rng.standard_normal((3, 1, 28, 28)),      # correlated
                        np.round(4 * (a[6:9] + rng.standard_normal((3, 1, 28, 28)))) / 4,  # ties
                        a[9:12] * (rng.random((3, 1, 28, 28)) < 0.3)])           # mostly zeros
    a[6:9] = np.round(4 * a[6:9]) / 4
    sets["mnist"] = (a, b)
    # 3-channel maps (exercise the 99th-percentile clipping and the channel sum), non-square.
    a3 = rng.standard_normal((6, 3, 64, 80))
    b3 = np.concatenate([rng.standard_normal((2, 3, 64, 80)), a3[2:6] + rng.standard_normal((4, 3, 64, 80))])
    sets["rgb"] = (a3, b3)
    # Structured 1-channel maps: blobs that move, grow and split; an edge and its rotation.
    pairs = [(blob(28, 28, 14, 14, 4), blob(28, 28, 14, 16, 4)),
             (blob(28, 28, 10, 10, 3), blob(28, 28, 10, 10, 6)),
             (blob(28, 28, 14, 14, 5), blob(28, 28, 8, 8, 3) - blob(28, 28, 20, 20, 3)),
             (np.tile(np.linspace(-1, 1, 28), (28, 1)), np.tile(np.linspace(-1, 1, 28), (28, 1)).T)]
    sets["shapes"] = (np.stack([p[0] for p in pairs])[:, None], np.stack([p[1] for p in pairs])[:, None])
    # The papers' calibration: 50 pairs of independent Gaussian masks.
    sets["noise"] = (rng.standard_normal((50, 1, 28, 28)), rng.standard_normal((50, 1, 28, 28)))
    return {k: (a.astype(np.float32), b.astype(np.float32)) for k, (a, b) in sets.items()}


def prepare_absolute(m):
    m = m.astype(np.float64)
    if m.shape[0] == 1:
        r = np.abs(m[0])
        return r / r.max() if r.max() > 0 else np.zeros_like(r)
    r = np.abs(m).sum(0)
    r = np.minimum(r, np.percentile(r, 99))
    span = r.max() - r.min()
    return (r - r.min()) / span if span > 0 else np.zeros_like(r)


def prepare_signed(m):
    m = m.astype(np.float64)
    if m.shape[0] == 1:
        top = np.abs(m[0]).max()
        return m[0] / top if top > 0 else np.zeros_like(m[0])
    r = m.sum(0)
    span = abs(np.percentile(r, 99))
    return np.clip((r + span) / (2 * span), 0, 1)


def prepare_unit(m):
    r = prepare_absolute(m)
    span = r.max() - r.min()
    return (r - r.min()) / span if span > 0 else np.zeros_like(r)


def topk(x, y, k):
    top = lambda v: set(np.argsort(-v.ravel(), kind="stable")[:k].tolist())
    return len(top(x) & top(y)) / k


def main():
    out = common.out_dir()
    rng = np.random.default_rng(20240601)
    for name, (a, b) in make_sets(rng).items():
        np.save(os.path.join(out, f"metrics_{name}_a.npy"), a)
        np.save(os.path.join(out, f"metrics_{name}_b.npy"), b)
        cols = {k: [] for k in ["spearman_abs", "spearman", "pearson", "cosine", "mse", "topk", "topk_count",
                                "ssim", "ssim_r2", "hog", "hog_pearson", "kendall", "kendall_signed"]}
        units, hogs = [], []
        cell = HOG_CELL[a.shape[2:]]
        for x, y in zip(a, b):
            xa, ya = prepare_absolute(x), prepare_absolute(y)
            xs, ys = prepare_signed(x), prepare_signed(y)
            xu, yu = prepare_unit(x), prepare_unit(y)
            cols["spearman_abs"].append(scipy.stats.spearmanr(xa.ravel(), ya.ravel())[0])
            cols["spearman"].append(scipy.stats.spearmanr(xs.ravel(), ys.ravel())[0])
            cols["pearson"].append(scipy.stats.pearsonr(xa.ravel(), ya.ravel())[0])
            cols["kendall"].append(scipy.stats.kendalltau(xa.ravel(), ya.ravel())[0])  # tau-b
            cols["kendall_signed"].append(scipy.stats.kendalltau(xs.ravel(), ys.ravel())[0])
            cols["cosine"].append(xa.ravel() @ ya.ravel() / np.linalg.norm(xa) / np.linalg.norm(ya))
            cols["mse"].append(np.mean((xa - ya) ** 2))
            cols["topk"].append(topk(xa, ya, int(round(0.1 * xa.size))))
            cols["topk_count"].append(topk(xa, ya, 17))
            ssim = lambda r: structural_similarity(xu, yu, gaussian_weights=True, sigma=1.5,
                                                   use_sample_covariance=True, data_range=r)
            cols["ssim"].append(ssim(1.0))
            cols["ssim_r2"].append(ssim(2.0))
            hx, hy = [hog(u, orientations=9, pixels_per_cell=(cell, cell), cells_per_block=(3, 3),
                          block_norm="L2-Hys") for u in (xu, yu)]
            cols["hog"].append(scipy.stats.spearmanr(hx, hy)[0])
            cols["hog_pearson"].append(scipy.stats.pearsonr(hx, hy)[0])
            units.append(np.stack([xu, yu]))
            hogs.append(np.stack([hx, hy]))
        # float64 files: the unit maps and HOG vectors are compared to ~1e-9, not float32 precision.
        np.save(os.path.join(out, f"metrics_{name}_unit.npy"), np.stack(units))  # [N, 2, H, W]
        np.save(os.path.join(out, f"metrics_{name}_hogvec.npy"), np.stack(hogs))  # [N, 2, D]
        for k, v in cols.items():
            np.save(os.path.join(out, f"metrics_{name}_{k}.npy"), np.asarray(v, dtype=np.float64))


if __name__ == "__main__":
    main()
