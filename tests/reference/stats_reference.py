"""Reference values for the statistics (src/stats) from scipy.stats 1.10.

bootstrap_<k>_x.npy with bootstrap_<k>_ci.npy: scipy.stats.bootstrap((x,), np.mean, method="percentile",
confidence_level=0.95, n_resamples=20000) bounds, and the standard error of the mean (the C++ test
compares within Monte-Carlo error, a fraction of it). wilcoxon_<k>_x/_y.npy with wilcoxon_<k>.npy
[statistic, p-value]: scipy.stats.wilcoxon(x, y) with its defaults, on cases that take its exact path
(n <= 50, no zeros, no ties) and its normal path (n > 50, with zeros and ties).
"""
import os
import sys
import warnings

import numpy as np
import scipy.stats

out = os.path.join(sys.argv[1], "stats")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

boot = {"normal": rng.normal(0.3, 1.0, 40), "skewed": rng.exponential(0.2, 200), "small": rng.normal(0, 1, 8)}
for k, x in boot.items():
    r = scipy.stats.bootstrap((x,), np.mean, method="percentile", confidence_level=0.95, n_resamples=20000,
                              random_state=np.random.default_rng(1))
    sem = x.std(ddof=1) / np.sqrt(len(x))
    np.save(os.path.join(out, f"bootstrap_{k}_x.npy"), x)
    np.save(os.path.join(out, f"bootstrap_{k}_ci.npy"), np.array([r.confidence_interval.low, r.confidence_interval.high, sem]))

cases = {}
a = rng.normal(0, 1, 20)
cases["exact_shift"] = (a, a - 0.4 + 0.5 * rng.normal(0, 1, 20))  # n = 20, continuous: exact
b = rng.normal(0, 1, 50)
cases["exact_null"] = (b, b + rng.normal(0, 1, 50))                # n = 50, the largest exact case
c = rng.normal(0, 1, 12)
cases["exact_all_positive"] = (c + 1.0 + rng.random(12), c)        # every difference positive
d = np.round(rng.normal(0, 1, 120), 1)
cases["normal_ties_zeros"] = (d, np.round(d + rng.normal(0.1, 0.5, 120), 1))  # ties and zeros: normal
e = rng.normal(0, 1, 300)
cases["normal_large"] = (e, e + rng.normal(0.05, 1, 300))
for k, (x, y) in cases.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scipy.stats.wilcoxon(x, y)
    np.save(os.path.join(out, f"wilcoxon_{k}_x.npy"), x)
    np.save(os.path.join(out, f"wilcoxon_{k}_y.npy"), y)
    np.save(os.path.join(out, f"wilcoxon_{k}.npy"), np.array([r.statistic, r.pvalue]))

# wilson.npy: rows [k, n, confidence, low, high] from scipy.stats.binomtest(k, n).proportion_ci(
# confidence_level, method="wilson"), for accuracies at chance, near 0 and 1, and small n;
# normal_quantile.npy: rows [p, scipy.stats.norm.ppf(p)].
rows = []
for k, n, conf in [(1003, 10000, 0.95), (9912, 10000, 0.95), (0, 10000, 0.95), (10000, 10000, 0.95), (3, 8, 0.95),
                   (190, 200, 0.9), (17, 200, 0.99)]:
    ci = scipy.stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    rows.append([k, n, conf, ci.low, ci.high])
np.save(os.path.join(out, "wilson.npy"), np.array(rows))
ps = np.array([1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.995, 1 - 1e-9])
np.save(os.path.join(out, "normal_quantile.npy"), np.stack([ps, scipy.stats.norm.ppf(ps)], axis=1))
