"""Shared by the Python peers of bench/peers.sh: the 10,000 MNIST test images
and the FIt-SNE 1.2.1 wrapper built by bench/fitsne/build.sh. Not part of CI."""
import gzip
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)


def mnist_dir():
    """MNIST_DIR, or the GoMNIST data folder in the Go module cache (the same
    files dataset.MNIST and bench/ort/mnist.js read)."""
    if os.environ.get("MNIST_DIR"):
        return os.environ["MNIST_DIR"]
    cache = subprocess.run(["go", "env", "GOMODCACHE"], check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    ndim = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_test():
    """(pixels uint8 [10000,28,28], labels int64 [10000])."""
    d = mnist_dir()
    try:
        x = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    except FileNotFoundError as e:
        sys.exit("MNIST test set not found (%s); set MNIST_DIR or run `go mod download` in the repository" % e)
    return x, y


class stdout_to_stderr:
    """Send file descriptor 1 to stderr for a while (the FIt-SNE binary, a
    child process, prints its progress on stdout)."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


def fast_tsne_module(cache=None):
    """Import the upstream fast_tsne.py from the FIt-SNE build folder."""
    cache = cache or os.environ.get("BENCH_CACHE") or os.path.join(BENCH, "cache")
    d = os.path.join(cache, "fitsne-1.2.1")
    if not os.path.exists(os.path.join(d, "bin", "fast_tsne")):
        sys.exit("FIt-SNE is not built in %s: run bench/fitsne/build.sh first" % d)
    sys.path.insert(0, d)
    import fast_tsne  # noqa: E402  (upstream wrapper, used as is)
    return fast_tsne.fast_tsne
