#!/usr/bin/env python3
"""PyTorch (Debian's, CPU) on the same weights and picture: forward, and the same full
analysis as camscope (forward, gradients of both raw logits at the CAM layer, Grad-CAM and
Layer-CAM for each class). One JSON line. Run by bench/run.sh with /usr/bin/python3:
  torch_bench.py WEIGHTS.csw PICTURE.rgba LAYER REPS THREADS [ARCH]
A version-1 file (a chain) runs as csw.model_from_csw's nn.Sequential, split at LAYER. A
version-2 file (a graph) needs ARCH (a tools/export.py --arch name, e.g. resnet18): the model
is built as that module (eval, BatchNorm not folded) with the file's dequantised tensors,
and the full analysis takes LAYER's output by a forward hook, as pytorch-grad-cam does.
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


def graph_module(f, arch, layer):
    """(module with the file's tensors, the module whose output is LAYER) for a version-2 file."""
    from export import parse_arch

    model, _ = parse_arch(arch, len(f.classes))
    sd = model.state_dict()
    missing = [k for k in sd if not k.endswith("num_batches_tracked") and k not in f.tensors]
    extra = [k for k in f.tensors if k not in sd]
    if missing or extra:
        raise SystemExit(f"error: {arch} and the file differ: missing {missing[:3]}, extra {extra[:3]}")
    for k, arr in f.tensors.items():
        sd[k] = torch.from_numpy(arr.copy())
    model.load_state_dict(sd)
    # torchvision's ReLU(inplace=True) would overwrite a hooked conv output (AlexNet's
    # features.10) with its ReLU before the maps read it: every ReLU out of place, as camscope.
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    # LAYER is a node or an alias, named by the module path whose output it is (a node
    # "layer4.1.relu#2" is the module's second call: its alias "layer4" is the module to hook).
    mods = dict(model.named_modules())
    names = next(([n.name] + n.aliases for n in f.nodes if layer in [n.name] + n.aliases), [])
    hook = next((mods[n] for n in names if n in mods), None)
    if hook is None:
        raise SystemExit(f"error: no module of {arch} gives {layer}")
    return model.eval(), hook


def main():
    weights, picture, layer, reps, threads = sys.argv[1:6]
    arch = sys.argv[6] if len(sys.argv) > 6 else None
    reps, threads = int(reps), int(threads)
    torch.set_num_threads(threads)
    f = csw.read_csw(weights)
    rgba = np.frombuffer(open(picture, "rb").read(), np.uint8).reshape(224, 224, 4)
    x = preprocess(rgba[:, :, :3])
    if f.version == csw.VERSION2:
        if not arch:
            raise SystemExit("error: a version-2 file needs ARCH")
        if f.pre != {"range": 1, "channels": "rgb", "resize": "bilinear_aa"}:
            raise SystemExit("error: only torchvision's preprocessing")
        model, hooked = graph_module(f, arch, layer)
    else:
        model = csw.model_from_csw(f).eval()
    names = [L.name for L in f.layers]
    mods = dict(model.named_modules())
    cut = names.index(layer) if names else None

    def forward():
        with torch.no_grad():
            return model(x)

    def full_hooked():
        kept = []
        handle = hooked.register_forward_hook(lambda _m, _i, out: kept.append(out))
        try:
            y = model(x)
        finally:
            handle.remove()
        a = kept[-1]
        maps = []
        for c in range(y.shape[1]):
            (g,) = torch.autograd.grad(y[0, c], a, retain_graph=True)
            w = g.mean(dim=(2, 3), keepdim=True)
            maps.append(torch.relu((w * a).sum(1))[0].detach())
            maps.append(torch.relu((torch.relu(g) * a).sum(1))[0].detach())
        return y.detach(), maps

    def full():
        if cut is None:
            return full_hooked()
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
