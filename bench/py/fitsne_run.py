#!/usr/bin/python3
"""Peer of `conceptcells embed` in bench/peers.sh row 7: FIt-SNE 1.2.1 (the
upstream fast_tsne.py wrapper and binary from bench/fitsne/build.sh) on the
rows of X.npy, with its defaults (PCA initialisation, perplexity 30, 750
iterations, early exaggeration 12 for 250, learning rate max(200, N/12),
Annoy neighbours), seed 1 and 2 threads; writes OUT.npy (N x 2 float64).
Runs in a temporary folder because the wrapper writes data.dat/result.dat
into the working directory. Not part of CI.

    /usr/bin/python3 bench/py/fitsne_run.py X.npy OUT.npy
"""
import os
import sys
import tempfile
import time

import numpy as np

from common import fast_tsne_module, stdout_to_stderr

if len(sys.argv) != 3:
    sys.exit(__doc__)
src, dst = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
fast_tsne = fast_tsne_module()
x = np.load(src).astype(np.float64)
x = x.reshape(len(x), -1)
t0 = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp, stdout_to_stderr():
    os.chdir(tmp)
    y = fast_tsne(x, perplexity=30, max_iter=750, seed=1, nthreads=2)
sec = time.perf_counter() - t0
np.save(dst, y)
print('{"runtime": "FIt-SNE 1.2.1", "n": %d, "d": %d, "seconds": %.4f}' % (x.shape[0], x.shape[1], sec))
