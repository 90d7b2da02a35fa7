#!/usr/bin/env python3
"""PyTorch (Debian's, CPU) on the same weights and picture: forward, and the same full
analysis as camscope (forward, gradients of both raw logits at the CAM layer, Grad-CAM and
Layer-CAM for each class). One JSON line. Run by bench/run.sh with /usr/bin/python3:
  torch_bench.py WEIGHTS.csw PICTURE.rgba LAYER REPS THREADS
"""

import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import csw  # noqa: E402
from model import preprocess  # noqa: E402


def stat(t):
    s = sorted(t)
    return {"median": round(s[len(s) // 2], 3), "min": round(s[0], 3), "max": round(s[-1], 3), "n": len(s)}


def main():
    weights, picture, layer, reps, threads = sys.argv[1:6]
    reps, threads = int(reps), int(threads)
    torch.set_num_threads(threads)
    f = csw.read_csw(weights)
    model = csw.model_from_csw(f).eval()
    names = [L.name for L in f.layers]
    mods = dict(model.named_modules())
    rgba = np.frombuffer(open(picture, "rb").read(), np.uint8).reshape(224, 224, 4)
    x = preprocess(rgba[:, :, :3])
    cut = names.index(layer)

    def forward():
        with torch.no_grad():
            return model(x)

    def full():
        h = x
        for n in names[: cut + 1]:
            h = mods[n](h)
        a = h.detach().requires_grad_(True)
        y = a
        for n in names[cut + 1:]:
            y = mods[n](y)
        maps = []
        for c in range(y.shape[1]):
            (g,) = torch.autograd.grad(y[0, c], a, retain_graph=True)
            w = g.mean(dim=(2, 3), keepdim=True)
            maps.append(torch.relu((w * a).sum(1))[0].detach())
            maps.append(torch.relu((torch.relu(g) * a).sum(1))[0].detach())
        return y.detach(), maps

    for _ in range(3):
        forward(), full()
    tf, ta = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        logits = forward()
        tf.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        _, maps = full()
        ta.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"engine": f"pytorch-{torch.__version__}-{threads}t", "forward": stat(tf), "full": stat(ta),
                      "logits": [float(v) for v in logits[0]],
                      "maps": [[float(v) for v in m.flatten()] for m in maps]}))


if __name__ == "__main__":
    main()
