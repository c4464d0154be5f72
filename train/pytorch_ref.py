#!/usr/bin/python3
"""PyTorch reference for `conceptcells train`: the same network and recipe.

Not a CI dependency. Used by hand to measure PyTorch's epoch time in the same
session as the Go trainer (Debian python3-torch 1.13, 2 threads), and to
cross-check an exported model's test accuracy with an independent forward
pass.

  /usr/bin/python3 train/pytorch_ref.py --epochs 1 [--seed 1] [--data DIR]
  /usr/bin/python3 train/pytorch_ref.py --check model.onnx   # needs python3-onnx
  /usr/bin/python3 train/pytorch_ref.py --grad DIR           # after TRAIN_DUMP=DIR go test ./train -run ManualDump

DIR holds the official MNIST .gz files (default: the GoMNIST module in the
Go module cache, as `conceptcells train` uses).
"""
import argparse
import gzip
import os
import resource
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def gomnist_dir():
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
    return os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data")


def load(d, split):
    with gzip.open(os.path.join(d, split + "-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(d, split + "-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    x = (x.astype(np.float32) / 255 - 0.1307) / 0.3081
    return torch.from_numpy(x), torch.from_numpy(y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.conv2_drop = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, 0.5, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)])
    return F.nll_loss(out, y).item(), (out.argmax(1) == y).float().mean().item()


def check(path, d):
    """Load an exported model's weights into Net and report test accuracy."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    w = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    net = Net()
    net.load_state_dict(w)
    xt, yt = load(d, "t10k")
    loss, acc = evaluate(net, xt, yt)
    meta = {p.key: p.value for p in m.metadata_props}
    print(f"{path}: onnx full_check OK; PyTorch forward: test loss {loss:.4f}, accuracy {100 * acc:.2f}% "
          f"(metadata says {meta.get('test_accuracy')})")


def grad(d):
    """Recompute the Go trainer's loss and gradients on its dumped weights,
    batch and dropout masks, with the masks applied as Dropout2d/dropout do."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(os.path.join(d, "model.onnx"))
    w = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    net = Net()
    net.load_state_dict(w)
    x = torch.from_numpy(np.load(os.path.join(d, "x.npy")))
    y = torch.from_numpy(np.load(os.path.join(d, "labels.npy")))
    m2 = torch.from_numpy(np.load(os.path.join(d, "mask2d.npy")))
    mf = torch.from_numpy(np.load(os.path.join(d, "maskfc.npy")))
    h = F.relu(F.max_pool2d(net.conv1(x), 2))
    h = F.relu(F.max_pool2d(net.conv2(h) * m2[:, :, None, None], 2))
    h = F.relu(net.fc1(h.view(-1, 320))) * mf
    loss = F.nll_loss(F.log_softmax(net.fc2(h), dim=1), y)
    loss.backward()
    go_loss = float(np.load(os.path.join(d, "loss.npy"))[0])
    print(f"loss: pytorch {loss.item():.7f}, go {go_loss:.7f}, diff {abs(loss.item() - go_loss):.2g}")
    for name, p in net.named_parameters():
        g = np.load(os.path.join(d, "grad_" + name + ".npy"))
        ref = p.grad.numpy()
        diff = np.abs(g - ref).max()
        print(f"{name:13s} max |go - pytorch| {diff:.2g} (max |grad| {np.abs(ref).max():.2g})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default="")
    ap.add_argument("--check", default="")
    ap.add_argument("--grad", default="")
    a = ap.parse_args()
    d = a.data or gomnist_dir()
    torch.set_num_threads(a.threads)
    if a.check:
        check(a.check, d)
        return
    if a.grad:
        grad(a.grad)
        return
    torch.manual_seed(a.seed)
    x, y = load(d, "train")
    xt, yt = load(d, "t10k")
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    g = torch.Generator().manual_seed(a.seed)
    times = []
    for epoch in range(1, a.epochs + 1):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        t0 = time.perf_counter()
        for i in range(0, len(x), a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad()
            loss = F.nll_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        times.append(dt)
        tl, acc = evaluate(model, xt, yt)
        print(f"epoch {epoch}/{a.epochs}: test loss {tl:.4f}, test accuracy {100 * acc:.2f}% ({dt:.1f} s)", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median epoch {sorted(times)[len(times) // 2]:.1f} s; peak RSS {rss:.0f} MiB; torch {torch.__version__}, {a.threads} threads")


if __name__ == "__main__":
    main()
