#!/usr/bin/python3
"""Export a small torchvision ResNet-18 and ViT-tiny to ONNX, with PyTorch's values.

Fixtures for probe's vision tests (issue 15), in the format of export.py
(model.onnx, input.npy, ref_K.npy, ref.json per folder):

  resnet18_w8        torchvision's ResNet-18 layout (BasicBlock, [2, 2, 2, 2],
                     conv1/bn1/relu/maxpool/layer1-4/avgpool/fc, so tensor
                     names match torchvision's) at a width of 8 instead of
                     64 channels, 10 classes, 3×32×32 input, opset 13
  vit_tiny_op13/14/17  torchvision.models.VisionTransformer: 32×32 input,
                     8×8 patches (a Conv), 2 encoder blocks of hidden size 32,
                     2 heads, MLP 64 (GELU via Erf), LayerNorm, 10 classes

Random weights (torch.manual_seed per model; BatchNorm statistics made
non-trivial), eval mode, dynamic batch axis. The hooked tensors are the
layers a user probes: the ResNet's layer3 output and its Flatten, the ViT's
last encoder block output (N×T×D tokens) and its final LayerNorm.

    /usr/bin/python3 testdata/models/export_vision.py [--out DIR] [--full]

With --full it writes only DIR/resnet18.onnx and DIR/vit_tiny.onnx: the
full-width ResNet-18 (torchvision.models.resnet18(num_classes=10)) and a
ViT-tiny at 64×64 (patch 8, 12 blocks of hidden size 192, 3 heads, MLP 768)
for measurements; they are too large to commit.

Needs Debian's python3-torch (1.13), python3-torchvision (0.14) and
python3-onnx (1.12). Not a CI dependency: the outputs are committed.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, ResNet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402  (the shared writer of export.py)


def resnet18_width(width=8, num_classes=10):
    """torchvision's ResNet-18 with `width` channels in layer1 (64 in torchvision).

    ResNet hard-codes 64, so the stem and layers are rebuilt with the same
    module names and the same BasicBlock."""
    m = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
    m.inplanes = width
    m.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(width)
    m.layer1 = m._make_layer(BasicBlock, width, 2)
    m.layer2 = m._make_layer(BasicBlock, 2 * width, 2, stride=2)
    m.layer3 = m._make_layer(BasicBlock, 4 * width, 2, stride=2)
    m.layer4 = m._make_layer(BasicBlock, 8 * width, 2, stride=2)
    m.fc = nn.Linear(8 * width, num_classes)
    return m


class ResNet18W8(nn.Module):
    """torchvision ResNet-18 layout at width 8 (BasicBlocks, GAP, Flatten, Linear)."""

    def __new__(cls):
        return resnet18_width(8)


def vit_tiny(image_size=32, patch=8, layers=2, heads=2, hidden=32, mlp=64):
    return torchvision.models.VisionTransformer(image_size=image_size, patch_size=patch, num_layers=layers,
                                                num_heads=heads, hidden_dim=hidden, mlp_dim=mlp, num_classes=10)


class ViTTiny(nn.Module):
    """torchvision VisionTransformer: patch Conv, class token, 2 blocks (MHA, GELU/Erf MLP), LayerNorm."""

    def __new__(cls):
        return vit_tiny()


# Tensor names of the hooks: ONNX tensor name → torchvision module path.
RESNET_HOOKS = [("/layer3/layer3.1/relu_1/Relu_output_0", "layer3"), ("/Flatten_output_0", None)]
VIT_BLOCK = "/encoder/layers/encoder_layer_1/Add_1_output_0"


def vit_hooks(opset):
    return [(VIT_BLOCK, "encoder.layers.encoder_layer_1")]


VISION = {
    "resnet18_w8": (ResNet18W8, (3, 32, 32), 13, RESNET_HOOKS),
    "vit_tiny_op13": (ViTTiny, (3, 32, 32), 13, vit_hooks(13)),
    "vit_tiny_op14": (ViTTiny, (3, 32, 32), 14, vit_hooks(14)),
    "vit_tiny_op17": (ViTTiny, (3, 32, 32), 17, vit_hooks(17)),
}


def flatten_value(model, x):
    """The ResNet's Flatten output, recomputed (torch.flatten has no module)."""
    f = model.avgpool(model.layer4(model.layer3(model.layer2(model.layer1(
        model.maxpool(model.relu(model.bn1(model.conv1(x)))))))))
    return torch.flatten(f, 1)


def export_full(out):
    torch.manual_seed(15)
    m = torchvision.models.resnet18(num_classes=10).eval()
    x = torch.randn(2, 3, 64, 64)
    torch.onnx.export(m, x, os.path.join(out, "resnet18.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    v = vit_tiny(image_size=64, patch=8, layers=12, heads=3, hidden=192, mlp=768).eval()
    torch.onnx.export(v, x, os.path.join(out, "vit_tiny.onnx"), opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", os.path.join(out, "resnet18.onnx"), "and", os.path.join(out, "vit_tiny.onnx"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="folder for --full")
    ap.add_argument("--full", action="store_true", help="export the full-size models to --out only")
    ap.add_argument("names", nargs="*", help="fixtures to export (default: all)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.full:
        if not a.out:
            sys.exit("--full needs --out DIR")
        export_full(a.out)
        return
    export.MODELS.clear()
    export.MODELS.update(VISION)
    export.EXTRA["resnet18_w8"] = lambda model, x: {"/Flatten_output_0": flatten_value(model, x)}
    for name in a.names or VISION:
        ctor, shape, opset, hooks = VISION[name]
        export.export_one(name, ctor, shape, opset, hooks, False)


if __name__ == "__main__":
    main()
