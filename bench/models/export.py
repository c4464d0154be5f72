#!/usr/bin/python3
"""Export the vision models of bench/peers.sh rows 3-5 to ONNX with random
weights: ResNet-50, Inception v1 (torchvision googlenet) and DenseNet-121,
eval mode, batch 1 fixed, input float32 1x3x224x224 named "input", output
"logits", opset 13, constant folding on (so BatchNorm after a Conv is folded
into it, as usual for an inference export). Weights come from torchvision's
own initialisers under torch.manual_seed(SEED): the numbers are meaningless,
the work per image is the real one. Needs Debian's python3-torch and
python3-torchvision. Not part of CI; the .onnx files are never committed.

    /usr/bin/python3 bench/models/export.py OUTDIR [resnet50 googlenet densenet121]
"""
import os
import sys

import torch
import torchvision

SEED = 1


def build(name):
    tv = torchvision.models
    if name == "resnet50":
        return tv.resnet50(weights=None)
    if name == "googlenet":
        # aux_logits off: the auxiliary heads run only in training;
        # transform_input off: it is an ImageNet-weights convenience.
        return tv.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=True)
    if name == "densenet121":
        return tv.densenet121(weights=None)
    raise SystemExit("export.py: unknown model %r (resnet50, googlenet, densenet121)" % name)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    names = sys.argv[2:] or ["resnet50", "googlenet", "densenet121"]
    os.makedirs(out, exist_ok=True)
    for name in names:
        dst = os.path.join(out, name + ".onnx")
        if os.path.exists(dst):
            print(dst + " (exists)")
            continue
        torch.manual_seed(SEED)
        model = build(name).eval()
        x = torch.randn(1, 3, 224, 224)
        tmp = dst + ".tmp"
        with torch.no_grad():
            torch.onnx.export(model, x, tmp, opset_version=13, do_constant_folding=True,
                              input_names=["input"], output_names=["logits"])
        os.replace(tmp, dst)
        print(dst)


if __name__ == "__main__":
    main()
