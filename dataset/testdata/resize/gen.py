# Reference values for resizeBilinear, made with Debian's python3-torch 1.13:
#   /usr/bin/python3 gen.py
# Source image: 5 rows × 7 columns, pixel (y, x) = ((7x + 13y) mod 17) / 16.
# torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
# antialias=False) to 12×9 (upscale) and 3×4 (downscale).
import numpy as np
import torch
import torch.nn.functional as F

y, x = np.mgrid[0:5, 0:7]
src = ((7 * x + 13 * y) % 17 / 16).astype(np.float32)
t = torch.from_numpy(src)[None, None]
for (h, w) in [(12, 9), (3, 4)]:
    out = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)
    np.save(f"up{h}x{w}.npy" if h > 5 else f"down{h}x{w}.npy", out[0, 0].numpy())
