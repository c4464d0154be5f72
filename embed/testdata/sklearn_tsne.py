#!/usr/bin/env python3
"""Independent t-SNE fixture for embed: scikit-learn's
Barnes-Hut t-SNE of the first 2,000 MNIST test images (pixels / 255), scored
with shared/tools/score_embedding.py. Writes sklearn_tsne_mnist2000.json
beside this file. Run from the repository root with Debian's python3-sklearn:

    /usr/bin/python3 embed/testdata/sklearn_tsne.py ../shared/tools/score_embedding.py

The images come from the MNIST test files embedded in dataset/mnistdata.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import sklearn
from sklearn.manifold import TSNE

N = 2000
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
with gzip.open(os.path.join(root, "dataset/mnistdata/t10k-images-idx3-ubyte.gz")) as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:N].astype(np.float32) / 255
with gzip.open(os.path.join(root, "dataset/mnistdata/t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)[:N].astype(np.int64)

runs = []
with tempfile.TemporaryDirectory() as tmp:
    np.save(os.path.join(tmp, "x.npy"), x)
    np.save(os.path.join(tmp, "l.npy"), labels)
    for init, seed in [("pca", 0), ("random", 0), ("random", 1)]:
        y = TSNE(n_components=2, perplexity=30, init=init, learning_rate="auto",
                 random_state=seed, method="barnes_hut").fit_transform(x)
        np.save(os.path.join(tmp, "y.npy"), y)
        out = subprocess.run([sys.executable, sys.argv[1], os.path.join(tmp, "y.npy"),
                              os.path.join(tmp, "x.npy"), os.path.join(tmp, "l.npy")],
                             check=True, capture_output=True, text=True).stdout
        score = json.loads(out)
        runs.append({"init": init, "random_state": seed, **{k: score[k] for k in
                     ("kl_divergence", "knn_preservation_10", "trustworthiness_10", "acc_1nn")}})

json.dump({"tool": f"scikit-learn {sklearn.__version__} TSNE(perplexity=30, learning_rate='auto', method='barnes_hut', max_iter default)",
           "data": "first 2000 MNIST test images, pixels/255 (784-d)",
           "scorer": "shared/tools/score_embedding.py (k = 10, exact)",
           "runs": runs}, open(os.path.join(here, "sklearn_tsne_mnist2000.json"), "w"), indent=1)
print(json.dumps(runs, indent=1))
