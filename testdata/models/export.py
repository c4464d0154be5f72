#!/usr/bin/python3
"""Export small seeded PyTorch models to ONNX, with inputs and PyTorch's outputs.

Fixtures for probe/models_test.go, which runs every model through our Go
executor and compares with what PyTorch computed here. Each model gets a
folder testdata/models/<name>/ holding

  model.onnx   torch.onnx.export of the eval-mode model (dynamic batch axis)
  input.npy    float32 input batch (seeded normal noise, N = 3)
  ref_K.npy    PyTorch's value of a tensor, float32, K = 0, 1, ...
  ref.json     which ONNX tensor each ref_K.npy is, opset, op types, versions

Intermediate tensors are captured with forward hooks on the module whose
output the ONNX tensor is; the script checks that the tensor name exists in
the exported graph (which needs the onnx package) and that every op of the
graph is listed in ref.json.

Run with Debian's python3-torch (1.13) and python3-onnx (1.12):

    /usr/bin/python3 testdata/models/export.py [--check-only]

The script is deterministic (torch.manual_seed per model). It is not a CI
dependency: its outputs are committed.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
N = 3  # batch of the stored input; the test also runs other batch sizes


# ---------------------------------------------------------------- models --

class BatchNormCNN(nn.Module):
    """Conv → ReLU → BatchNorm2d (kept: not directly after a Conv, so the
    exporter cannot fold it) → MaxPool → flatten → Linear → BatchNorm1d → Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 5 * 5, 12)
        self.bn1 = nn.BatchNorm1d(12)
        self.fc2 = nn.Linear(12, 5)

    def forward(self, x):
        x = self.bn(F.relu(self.conv(x)))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = self.bn1(self.fc1(x))
        return self.fc2(x)


class TanhMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 16)
        self.fc2 = nn.Linear(16, 8)
        self.fc3 = nn.Linear(8, 4)

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


class AvgPoolPad(nn.Module):
    """Explicit F.pad (reflect and constant) and AvgPool2d with padding,
    ceil_mode and count_include_pad=False."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.pool2 = nn.AvgPool2d(2)

    def forward(self, x):
        x = F.pad(x, (1, 2, 0, 1), mode="reflect")
        x = self.conv(x)
        x = self.pool(x)
        x = F.pad(x, (1, 1, 1, 1), mode="constant", value=0.5)
        return self.pool2(x)


class SigmoidMLP(nn.Module):
    """Sigmoid hidden layers and a Softmax head."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 10)
        self.fc2 = nn.Linear(10, 6)

    def forward(self, x):
        x = torch.sigmoid(self.fc1(x))
        return torch.softmax(self.fc2(x), dim=1)


class BasicBlock(nn.Module):
    """ResNet basic block: conv-bn-relu-conv-bn + identity, relu."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + x)


class TinyResNet(nn.Module):
    """Stem conv (stride 2) → BasicBlock (residual Add) → GlobalAveragePool → Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.block = BasicBlock(6)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.block(x)
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


class ConcatBranches(nn.Module):
    """Two conv branches concatenated along channels, LeakyReLU, GlobalMaxPool-ish head."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 3, 1)
        self.b = nn.Conv2d(1, 2, 3, padding=1)
        self.act = nn.LeakyReLU(0.1)
        self.fc = nn.Linear(5 * 4 * 4, 3)

    def forward(self, x):
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        y = self.act(y)
        y = F.max_pool2d(y, 2)
        return self.fc(y.reshape(y.shape[0], -1))


class LeNet(nn.Module):
    """A tiny LeNet-5: conv5-tanh-avgpool ×2, three Linear layers, LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 5, padding=2)
        self.conv2 = nn.Conv2d(3, 6, 5)
        self.fc1 = nn.Linear(6 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 12)
        self.fc3 = nn.Linear(12, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)  # Shape→Gather→Unsqueeze→Concat→Reshape
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)


class TinyVGG(nn.Module):
    """VGG-style: [conv3-relu]×2 → maxpool, conv3-relu → maxpool, classifier with Dropout."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(8 * 3 * 3, 16), nn.ReLU(True), nn.Dropout(),
            nn.Linear(16, 5),
        )

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class Fire(nn.Module):
    def __init__(self, cin, s, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, s, 1)
        self.expand1x1 = nn.Conv2d(s, e1, 1)
        self.expand3x3 = nn.Conv2d(s, e3, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(x)), F.relu(self.expand3x3(x))], 1)


class TinySqueezeNet(nn.Module):
    """SqueezeNet-style: conv → maxpool(ceil_mode) → fire (Concat) → conv1x1 → GAP."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, stride=2)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.fire = Fire(6, 3, 4, 4)
        self.final = nn.Conv2d(8, 5, 1)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.fire(x)
        x = F.relu(self.final(x))
        return torch.flatten(self.gap(x), 1)


class TinyMobileNet(nn.Module):
    """MobileNet-style: conv-bn-relu6, depthwise (groups=C) conv-bn-relu6, pointwise conv, GAP, Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU6(inplace=True))
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
                                nn.BatchNorm2d(8), nn.ReLU6(inplace=True))
        self.pw = nn.Sequential(nn.Conv2d(8, 12, 1, bias=False), nn.BatchNorm2d(12), nn.ReLU6(inplace=True))
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        x = self.pw(self.dw(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Decoder(nn.Module):
    """ConvTranspose2d (stride 2, output_padding) and nearest Upsample."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.up = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.out = nn.Conv2d(3, 1, 1)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = F.relu(self.up(x))
        return torch.sigmoid(self.out(self.upsample(x)))


# ---------------------------------------------------------- the fixtures --

# name: (constructor, input shape without batch, opset, hooks)
# hooks: list of (onnx tensor name, module path whose output it is); the
# graph output is always stored as ref_0.
MODELS = {
    "bn_cnn": (BatchNormCNN, (1, 12, 12), 13, [("/bn/BatchNormalization_output_0", "bn"),
                                               ("/bn1/BatchNormalization_output_0", "bn1")]),
    "tanh_mlp": (TanhMLP, (20,), 13, [("/Tanh_1_output_0", None)]),
    "avgpool_pad_op9": (AvgPoolPad, (2, 9, 9), 9, [("/conv/Conv_output_0", "conv"),
                                                   ("/pool/AveragePool_output_0", "pool")]),
    "avgpool_pad": (AvgPoolPad, (2, 9, 9), 13, [("/conv/Conv_output_0", "conv"),
                                               ("/pool/AveragePool_output_0", "pool")]),
    "sigmoid_mlp_op11": (SigmoidMLP, (12,), 11, [("/fc2/Gemm_output_0", "fc2")]),
    "resnet_block": (TinyResNet, (3, 10, 10), 13, [("/block/relu_1/Relu_output_0", "block")]),
    "concat_leaky": (ConcatBranches, (1, 8, 8), 13, [("/act/LeakyRelu_output_0", "act")]),
    "lenet": (LeNet, (1, 16, 16), 13, [("/fc2/Gemm_output_0", "fc2")]),
    "lenet_op9": (LeNet, (1, 16, 16), 9, [("/fc2/Gemm_output_0", "fc2")]),
    "vgg_tiny": (TinyVGG, (3, 12, 12), 13, [("/features/features.6/Relu_output_0", "features.6")]),
    "squeezenet_fire": (TinySqueezeNet, (3, 17, 17), 13, [("/fire/Concat_output_0", "fire")]),
    "mobilenet_dw": (TinyMobileNet, (3, 12, 12), 13, [("/dw/dw.2/Clip_output_0", "dw")]),
    "decoder_op11": (Decoder, (2, 5, 5), 11, [("/up/ConvTranspose_output_0", "up")]),
    "decoder_op9": (Decoder, (2, 5, 5), 9, [("/up/ConvTranspose_output_0", "up")]),
}

# name: function(model, x) → {onnx tensor name: value} for hooked tensors
# that no module outputs (export_vision.py adds its own).
EXTRA = {
    "tanh_mlp": lambda model, x: {"/Tanh_1_output_0": torch.tanh(model.fc2(torch.tanh(model.fc1(x))))},
}


def module_at(model, path):
    m = model
    for part in path.split("."):
        m = getattr(m, part)
    return m


def export_one(name, ctor, in_shape, opset, hooks, check_only):
    torch.manual_seed(sum(name.encode()))  # a fixed seed per model
    model = ctor()
    # Give BatchNorm layers non-trivial running statistics and affine terms.
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    model.eval()
    x = torch.randn((N,) + tuple(in_shape))

    captured = {}
    handles = []
    for tname, mpath in hooks:
        if mpath is None:
            continue
        mod = module_at(model, mpath)

        def hook(_m, _inp, out, tname=tname):
            captured[tname] = out.detach().clone()
        handles.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        y = model(x)
    for h in handles:
        h.remove()

    # Tensors without a module (functional ops) are recomputed by hand.
    if name in EXTRA:
        with torch.no_grad():
            captured.update(EXTRA[name](model, x))

    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    onnx_path = os.path.join(folder, "model.onnx")
    if not check_only:
        torch.onnx.export(model, x, onnx_path, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          do_constant_folding=True)

    ops = {}
    try:
        import onnx
        m = onnx.load(onnx_path)
        onnx.checker.check_model(m)
        names = {o for n in m.graph.node for o in n.output}
        for n in m.graph.node:
            ops[n.op_type] = ops.get(n.op_type, 0) + 1
        for tname, _ in hooks:
            if tname not in names:
                sys.exit("%s: tensor %s is not in the exported graph; node outputs: %s"
                         % (name, tname, sorted(names)))
    except ImportError:
        print("onnx is not importable: tensor names and op types not checked", file=sys.stderr)

    refs = [("output", y)] + [(t, captured[t]) for t, _ in hooks]
    entries = []
    for k, (tname, val) in enumerate(refs):
        fn = "ref_%d.npy" % k
        arr = val.numpy().astype(np.float32)
        if not check_only:
            np.save(os.path.join(folder, fn), arr)
        entries.append({"name": tname, "file": fn, "shape": list(arr.shape)})
    if not check_only:
        np.save(os.path.join(folder, "input.npy"), x.numpy().astype(np.float32))
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    meta = {
        "model": "model.onnx",
        "model_sha256": sha,
        "description": (ctor.__doc__ or ctor.__name__).strip().split("\n")[0],
        "class": ctor.__name__,
        "opset": opset,
        "input": "input.npy",
        "input_shape": [N] + list(in_shape),
        "tensors": entries,
        "op_types": ops,
        "torch": torch.__version__,
    }
    if not check_only:
        with open(os.path.join(folder, "ref.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
            f.write("\n")
    print("%-18s opset %2d  %s" % (name, opset, " ".join("%s×%d" % kv for kv in sorted(ops.items()))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-only", action="store_true", help="export nothing; check names and list ops")
    ap.add_argument("names", nargs="*", help="models to export (default: all)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    for name in a.names or MODELS:
        ctor, shape, opset, hooks = MODELS[name]
        export_one(name, ctor, shape, opset, hooks, a.check_only)


if __name__ == "__main__":
    main()
