#!/usr/bin/python3
"""Python peer of `conceptcells demo --robust 0` in bench/peers.sh row 9: a
numpy/torch/FIt-SNE stack doing comparable work, timed as one cold process.

  1. torch (Debian python3-torch, 2 threads) runs the paper CNN of
     shared/reference/mnist-cnn (weights read from its ONNX initializers) on
     the 10,000 MNIST test images, keeping fc1 after ReLU (50 units) and fc2
     (10 units);
  2. FIt-SNE 1.2.1 (bench/fitsne/build.sh; PCA init, perplexity 30, 750
     iterations, seed 1, 2 threads) embeds the normalised pixels (image space)
     and fc2 (network space);
  3. in each space, for the 50 + 10 units, numpy builds 40x40 rate maps
     (square frame, binned mean, empty bins NaN) and scores spatial
     information (Skaggs bits per unit activation, the positive part of
     signed units) against 200 activation permutations (95th percentile),
     and gridness (NaN-aware autocorrelogram with at least 20 overlapping
     bins, bilinear rotation, DeepMind's ten rings, Sargolini's
     min(r60, r120) - max(r30, r90, r150), maximum over rings), as
     shared/specs/cell-metrics.md describes.

It is a speed peer, not a second implementation of our classification: no
PCs, fields, CSI or field shuffles. Prints stage timings and counts as JSON.
Not part of CI.

    /usr/bin/python3 bench/py/demo_peer.py [--shared DIR]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from scipy import sparse
from scipy.signal import fftconvolve

from common import BENCH, fast_tsne_module, mnist_test, stdout_to_stderr

BINS = 40
PERMUTATIONS = 200
MIN_OVERLAP = 20
ANGLES = (30, 45, 60, 90, 120, 135, 150)


class PaperCNN(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = {k: torch.from_numpy(v.copy()) for k, v in w.items()}

    def forward(self, x):
        w = self.w
        x = torch.relu(torch.max_pool2d(torch.conv2d(x, w["conv1.weight"], w["conv1.bias"]), 2))
        x = torch.relu(torch.max_pool2d(torch.conv2d(x, w["conv2.weight"], w["conv2.bias"]), 2))
        h = torch.relu(torch.nn.functional.linear(x.reshape(-1, 320), w["fc1.weight"], w["fc1.bias"]))
        return h, torch.nn.functional.linear(h, w["fc2.weight"], w["fc2.bias"])


def activations(model_path, x):
    m = onnx.load(model_path)
    w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    want = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    missing = [k for k in want if k not in w]
    if missing:
        sys.exit("demo_peer.py: %s: initializers %s missing (not the paper CNN?)" % (model_path, missing))
    net = PaperCNN(w).eval()
    fc1, fc2 = [], []
    with torch.no_grad():
        for s in range(0, len(x), 256):
            h, o = net(torch.from_numpy(x[s:s + 256]))
            fc1.append(h.numpy())
            fc2.append(o.numpy())
    return np.concatenate(fc1), np.concatenate(fc2)


def bin_index(pos, n):
    """Bin of each point in the square bounding-box frame (spec 1.1)."""
    lo, hi = pos.min(0), pos.max(0)
    ext = (hi - lo).max()
    start = (lo + hi) / 2 - ext / 2
    ij = np.floor((pos - start) / (ext / n)).astype(np.int64)
    ij = np.clip(ij, 0, n - 1)
    return ij[:, 1] * n + ij[:, 0]


def skaggs(sums, counts):
    """Bits per unit activation of the maps sums[:, u] / counts (columns)."""
    valid = counts > 0
    p = counts[valid] / counts.sum()
    lam = sums[valid] / counts[valid, None]
    mean = p @ lam
    with np.errstate(divide="ignore", invalid="ignore"):
        r = lam / mean
        t = np.where(r > 0, p[:, None] * r * np.log2(np.where(r > 0, r, 1)), 0.0)
    si = t.sum(0)
    si[~(mean > 0)] = np.nan
    return si


def sac(maps):
    """NaN-aware Pearson autocorrelogram per lag (spec 2) of maps [U, n, n]."""
    v = np.isfinite(maps).astype(np.float64)
    x = np.where(v > 0, maps, 0.0)

    def corr(a, b):
        return fftconvolve(a, b[:, ::-1, ::-1], mode="full", axes=(1, 2))

    n = np.rint(corr(v, v))
    s1, s2 = corr(x, v), corr(v, x)
    s11, s22, s12 = corr(x * x, v), corr(v, x * x), corr(x, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.sqrt((n * s11 - s1 * s1) * (n * s22 - s2 * s2))
        r = (n * s12 - s1 * s2) / den
    r[(n < MIN_OVERLAP) | ~(den > 1e-12)] = np.nan
    return r


def rotate(a, deg):
    """a [U, m, m] rotated about its centre, bilinear; NaN where a neighbour is NaN or outside."""
    m = a.shape[1]
    c = (m - 1) / 2
    t = np.deg2rad(deg)
    yy, xx = np.mgrid[0:m, 0:m].astype(np.float64)
    sy = c + (yy - c) * np.cos(t) - (xx - c) * np.sin(t)
    sx = c + (yy - c) * np.sin(t) + (xx - c) * np.cos(t)
    y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
    fy, fx = sy - y0, sx - x0
    inside = (y0 >= 0) & (x0 >= 0) & (y0 + 1 < m) & (x0 + 1 < m)
    y0c, x0c = np.clip(y0, 0, m - 2), np.clip(x0, 0, m - 2)
    out = ((1 - fy) * (1 - fx) * a[:, y0c, x0c] + (1 - fy) * fx * a[:, y0c, x0c + 1]
           + fy * (1 - fx) * a[:, y0c + 1, x0c] + fy * fx * a[:, y0c + 1, x0c + 1])
    out[:, ~inside] = np.nan
    return out


def gridness(maps, n):
    """Sargolini gs60, maximum over DeepMind's ten rings, per map [U, n, n]."""
    s = sac(maps)
    m = s.shape[1]
    c = (m - 1) / 2
    yy, xx = np.mgrid[0:m, 0:m]
    d = np.hypot(yy - c, xx - c)
    rot = {a: rotate(s, a) for a in ANGLES}
    best = np.full(len(maps), np.nan)
    for outer in np.linspace(0.4, 1.0, 10) * n:
        ring = (d > 0.2 * n) & (d <= outer)
        r = {}
        for a in ANGLES:
            u, w = s[:, ring], rot[a][:, ring]
            ok = np.isfinite(u) & np.isfinite(w)
            k = ok.sum(1)
            u, w = np.where(ok, u, 0), np.where(ok, w, 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                mu, mw = u.sum(1) / k, w.sum(1) / k
                cov = (u * w).sum(1) / k - mu * mw
                r[a] = cov / np.sqrt(((u * u).sum(1) / k - mu * mu) * ((w * w).sum(1) / k - mw * mw))
        gs = np.minimum(r[60], r[120]) - np.maximum(np.maximum(r[30], r[90]), r[150])
        best = np.fmax(best, gs)
    return best


def score(pos, acts, rng):
    """SI, its permutation p95 and gridness of every column of acts at pos."""
    n = BINS
    b = bin_index(pos, n)
    a = np.maximum(acts.astype(np.float64), 0)  # positive part (spec 1.4)
    onehot = sparse.csr_matrix((np.ones(len(b)), (b, np.arange(len(b)))), shape=(n * n, len(b)))
    counts = np.asarray(onehot.sum(1)).ravel()
    sums = onehot @ a
    si = skaggs(sums, counts)
    null = np.empty((PERMUTATIONS, a.shape[1]))
    for k in range(PERMUTATIONS):
        null[k] = skaggs(onehot @ a[rng.permutation(len(a))], counts)
    p95 = np.nanpercentile(null, 95, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        maps = (sums / counts[:, None]).T.reshape(-1, n, n)
    maps[:, (counts == 0).reshape(n, n)] = np.nan
    gs = gridness(maps, n)
    return si, p95, gs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(BENCH, "..", "..", "shared"))
    args = ap.parse_args()
    model = os.path.join(args.shared, "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx")
    if not os.path.exists(model):
        sys.exit("demo_peer.py: %s is missing: the shared reference data (../shared from the repository root) is needed" % model)
    torch.set_num_threads(2)
    fast_tsne = fast_tsne_module()
    stages = []
    t = time.perf_counter()

    def stage(name):
        nonlocal t
        now = time.perf_counter()
        stages.append({"step": name, "seconds": round(now - t, 4)})
        t = now

    px, labels = mnist_test()
    x = ((px.astype(np.float32) / 255 - 0.1307) / 0.3081).reshape(-1, 1, 28, 28)
    fc1, fc2 = activations(model, x)
    acc = float((fc2.argmax(1) == labels).mean())
    stage("torch inference, 10000 images")
    spaces = {}
    with tempfile.TemporaryDirectory() as tmp, stdout_to_stderr():
        os.chdir(tmp)  # the wrapper writes data.dat/result.dat here
        spaces["image"] = fast_tsne(x.reshape(len(x), -1).astype(np.float64), perplexity=30, max_iter=750, seed=1, nthreads=2)
        stage("FIt-SNE of the input (10000 x 784)")
        spaces["network"] = fast_tsne(fc2.astype(np.float64), perplexity=30, max_iter=750, seed=1, nthreads=2)
        stage("FIt-SNE of fc2 (10000 x 10)")
    rng = np.random.default_rng(1)
    summary = {}
    for space, pos in spaces.items():
        for layer, acts in (("fc1_relu", fc1), ("fc2", fc2)):
            si, p95, gs = score(pos, acts, rng)
            summary["%s/%s" % (layer, space)] = {
                "units": acts.shape[1],
                "si_above_p95": int(np.sum(si > p95)),
                "gridness_ge_0.7": int(np.sum(gs >= 0.7)),
                "median_gridness": float(np.nanmedian(gs)),
            }
            stage("scoring %d units of %s in %s space" % (acts.shape[1], layer, space))
    total = sum(s["seconds"] for s in stages)
    print(json.dumps({"accuracy": acc, "timings": stages, "total_seconds": round(total, 4), "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
