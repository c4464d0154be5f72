#!/usr/bin/python3
"""Write the 10,000 MNIST test images as OUTDIR/mnist_test_x.npy (float32
10000x784, pixel/255) and OUTDIR/mnist_test_y.npy (int64 labels), the input
of bench/peers.sh row 7 for both t-SNEs. Not part of CI.

    /usr/bin/python3 bench/py/mnist_npy.py OUTDIR
"""
import os
import sys

import numpy as np

from common import mnist_test

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x, y = mnist_test()
np.save(os.path.join(out, "mnist_test_x.npy"), (x.reshape(len(x), -1) / np.float32(255)).astype(np.float32))
np.save(os.path.join(out, "mnist_test_y.npy"), y)
print(os.path.join(out, "mnist_test_x.npy"))
