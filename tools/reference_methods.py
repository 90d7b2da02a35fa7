#!/usr/bin/env python3
"""Reference data for every explanation method (wasm/methods/methods.h), made at test time
with PyTorch and NumPy, independent of the core: no hooks, plain autograd on the graph the
.csw describes (csw.run_graph, float64), the formulas written again here in NumPy.

  /usr/bin/python3 tools/reference_methods.py --case alexnet_bn --out build/methods/alexnet_bn
  /usr/bin/python3 tools/reference_methods.py --list

Cases: `alexnet_bn` -- the shipped model (AlexNet-BN, trained, int8) at features.14 (last
conv) and avgpool on the demo picture both.png; `alexnet` -- torchvision's AlexNet with
random weights (2 classes, int8) at features.10 and avgpool. Per case: weights.csw, input.npy,
every node's float64 output (nodes/I.npy; the C++ test runs its backward passes on these, see
tests/test_arch.cpp for why), and per layer and method the maps of both classes
(map__METHOD__LAYER.npy, classes x H x W), the channel weights where the method has them
(weights__METHOD__LAYER.npy), the picture methods (picture__METHOD[__LAYER].npy, classes x C x
H x W) and the SmoothGrad noise of its first copies (noise.npy).

The methods, as pytorch-grad-cam and the papers define them (see methods.h):
  Grad-CAM, its negative, Grad-CAM++, XGrad-CAM, Layer-CAM, its negative, HiResCAM, Grad-CAM
  element-wise, Eigen-CAM and Eigen-Grad-CAM (numpy SVD, sign rule of methods.h),
  Score-CAM (a plain PyTorch loop over the channels), Guided Backpropagation (a guided-ReLU
  autograd function), Guided Grad-CAM, saliency.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402
import model as models  # noqa: E402
import torch_frontend  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = {
    "alexnet_bn": (os.path.join(ROOT, "weights", "camscope_catsdogs_int8.csw"), ["features.14", "avgpool"]),
    "alexnet": (None, ["features.10", "avgpool"]),
}
SMOOTH_COPIES = 3


# --- the layer methods, NumPy, float64: a (C, H, W), g (C, H, W) -> (H, W) -----------------

def relu(v):
    return np.maximum(v, 0.0)


def weighted(a, w):
    return relu(np.einsum("c,chw->hw", w, a))


def w_gradcam(a, g):
    return g.mean(axis=(1, 2))


def w_gradcampp(a, g):
    g2, g3 = g ** 2, g ** 3
    s = a.sum(axis=(1, 2))[:, None, None]
    alpha = np.where(g != 0, g2 / (2 * g2 + s * g3 + 1e-6), 0.0)
    return (relu(g) * alpha).sum(axis=(1, 2))


def w_xgradcam(a, g):
    return (g * a).sum(axis=(1, 2)) / (a.sum(axis=(1, 2)) + 1e-7)


def projection(x):
    """First principal component of the centred (HW x C) matrix, projected; the sign makes
    it correlate positively with the channel mean of x (else the axis's largest entry > 0)."""
    c, h, w = x.shape
    m = x.reshape(c, -1).T
    mc = m - m.mean(axis=0)
    if not np.any(mc):
        return np.zeros((h, w))
    _, _, vt = np.linalg.svd(mc, full_matrices=False)
    v = vt[0]
    proj = mc @ v
    corr = float(proj @ m.mean(axis=1))
    if corr < 0 or (corr == 0 and v[np.argmax(np.abs(v))] < 0):
        proj = -proj
    return proj.reshape(h, w)


LAYER_METHODS = {
    "gradcam": (w_gradcam, None),
    "gradcam_neg": (lambda a, g: -w_gradcam(a, g), None),
    "gradcampp": (w_gradcampp, None),
    "xgradcam": (w_xgradcam, None),
    "layercam": (None, lambda a, g: relu((relu(g) * a).sum(0))),
    "layercam_neg": (None, lambda a, g: relu((relu(-g) * a).sum(0))),
    "hirescam": (None, lambda a, g: relu((g * a).sum(0))),
    "gradcam_ew": (None, lambda a, g: relu(relu(g * a).sum(0))),
    "eigencam": (None, lambda a, g: relu(projection(a))),
    "eigengradcam": (None, lambda a, g: relu(projection(g * a))),
}


def upsample_np(m, oh, ow):
    """Bilinear resize of an (H, W) map, PyTorch's align_corners=False rule, in NumPy."""
    def taps(n, o):
        src = np.maximum((np.arange(o) + 0.5) * (n / o) - 0.5, 0.0)
        i0 = np.minimum(src.astype(int), n - 1)
        i1 = np.minimum(i0 + 1, n - 1)
        return i0, i1, src - i0
    y0, y1, ly = taps(m.shape[0], oh)
    x0, x1, lx = taps(m.shape[1], ow)
    top = m[y0][:, x0] * (1 - lx) + m[y0][:, x1] * lx
    bot = m[y1][:, x0] * (1 - lx) + m[y1][:, x1] * lx
    return top * (1 - ly)[:, None] + bot * ly[:, None]


def fuse_np(maps, oh, ow, rule="max"):
    """The Layer-CAM paper's fusion (wasm/methods/fusion.h): each map / its max, tanh(2 M) for
    all but the deepest (the last), upsampled, element-wise max (or mean)."""
    out = []
    for i, m in enumerate(maps):
        mx = m.max()
        m = m / mx if mx > 0 else np.zeros_like(m)
        if i + 1 < len(maps):
            m = np.tanh(2 * m)
        out.append(upsample_np(m, oh, ow))
    return np.max(out, axis=0) if rule == "max" else np.mean(out, axis=0)


class GuidedReLU(torch.autograd.Function):
    """ReLU whose backward passes a gradient only where the input and the gradient are > 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x > 0) & (g > 0)).to(g.dtype)


def smoothgrad_noise(count, index):
    """The core's SmoothGrad noise for copy `index`: splitmix64 + Box-Muller (session.cpp)."""
    mask = (1 << 64) - 1
    state = (0x5EED000000000000 + index) & mask
    out = np.empty(count, np.float32)

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    for i in range(0, count, 2):
        u1 = 1.0 - (nxt() >> 11) * 2.0 ** -53
        u2 = (nxt() >> 11) * 2.0 ** -53
        r = math.sqrt(-2.0 * math.log(u1))
        out[i] = r * math.cos(2 * math.pi * u2)
        if i + 1 < count:
            out[i + 1] = r * math.sin(2 * math.pi * u2)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=sorted(CASES))
    ap.add_argument("--out")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args(argv)
    if a.list:
        print(" ".join(CASES))
        return
    if not a.case or not a.out:
        ap.error("--case and --out are needed")
    path, layers = CASES[a.case]
    if path is None:
        import torchvision

        torch.manual_seed(5)
        m = torchvision.models.alexnet(num_classes=2).eval()
        nodes, tensors, _, _ = torch_frontend.graph_of(m)
        blob, _ = csw.build_csw2(nodes, tensors, "i8", name="alexnet", classes=["cat", "dog"])
    else:
        blob = open(path, "rb").read()
    f = csw.read_csw(blob)
    if f.version == 1:  # the shipped file: the same chain as a graph, for run_graph
        f.nodes = [csw.NodeSpec(L.name, L.type if L.type != "dropout" else "dropout",
                                ["input" if i == 0 else f.layers[i - 1].name], _v1_args(L))
                   for i, L in enumerate(f.layers)]
    from PIL import Image

    with Image.open(os.path.join(ROOT, "web", "samples", "both.png")) as im:
        x32 = models.preprocess(np.array(im.convert("RGB")))
    os.makedirs(os.path.join(a.out, "nodes"), exist_ok=True)

    def save(name, arr):
        np.save(os.path.join(a.out, name), np.ascontiguousarray(arr, dtype="<f4"))

    with open(os.path.join(a.out, "weights.csw"), "wb") as fh:
        fh.write(blob)
    save("input.npy", x32[0].numpy())
    x = x32.double().requires_grad_(True)
    logits, vals = csw.run_graph(f, x, keep=True)
    k = logits.shape[1]
    save("logits.npy", logits[0].detach().numpy())
    for i, nd in enumerate(f.nodes):
        save(os.path.join("nodes", f"{i}.npy"), vals[nd.name][0].detach().numpy())
    # Layer methods and Score-CAM.
    for layer in layers:
        act = vals[layer]
        A = act[0].detach().numpy()
        G = np.stack([torch.autograd.grad(logits[0, c], act, retain_graph=True)[0][0].numpy() for c in range(k)])
        for method, (wfn, mfn) in LAYER_METHODS.items():
            if wfn:
                W = np.stack([wfn(A, G[c]) for c in range(k)])
                save(f"weights__{method}__{layer}.npy", W)
                maps = np.stack([weighted(A, W[c]) for c in range(k)])
            else:
                maps = np.stack([mfn(A, G[c]) for c in range(k)])
            save(f"map__{method}__{layer}.npy", maps)
        # Score-CAM: each channel upsampled (bilinear, align_corners=False), min-max
        # normalised, times the input; the class's softmax probability is its weight. (The
        # masked forward passes in float32: hundreds of them in float64 take minutes.)
        with torch.no_grad():
            up = F.interpolate(act.detach(), size=x.shape[2:], mode="bilinear", align_corners=False)[0]
            lo = up.amin(dim=(1, 2))
            hi = up.amax(dim=(1, 2))
            flat = ~(hi > lo)
            norm = (up - lo[:, None, None]) / torch.where(flat, torch.ones_like(hi), hi - lo)[:, None, None]
            probs = []
            for c0 in range(0, A.shape[0], 32):
                masked = (x.detach() * norm[c0:c0 + 32, None]).float()
                probs.append(torch.softmax(csw.run_graph(f, masked).double(), 1))
            probs = torch.cat(probs).numpy()  # channels x classes
        W = np.where(flat.numpy()[:, None], 0.0, probs).T  # classes x channels
        save(f"weights__scorecam__{layer}.npy", W)
        save(f"map__scorecam__{layer}.npy", np.stack([weighted(A, W[c]) for c in range(k)]))
    # Picture methods: saliency, guided backpropagation, Guided Grad-CAM.
    sal = np.stack([torch.autograd.grad(logits[0, c], x, retain_graph=True)[0][0].numpy() for c in range(k)])
    save("picture__saliency.npy", sal)
    xg = x32.double().requires_grad_(True)
    glogits = csw.run_graph(f, xg, relu=GuidedReLU.apply)
    guided = np.stack([torch.autograd.grad(glogits[0, c], xg, retain_graph=True)[0][0].numpy() for c in range(k)])
    save("picture__guidedbackprop.npy", guided)
    for layer in layers:
        cams = np.load(os.path.join(a.out, f"map__gradcam__{layer}.npy")).astype(np.float64)
        up = F.interpolate(torch.from_numpy(cams)[:, None], size=x.shape[2:], mode="bilinear",
                           align_corners=False)[:, 0].numpy()
        mx = up.reshape(k, -1).max(axis=1)
        up = up / np.where(mx > 0, mx, 1.0)[:, None, None] * (mx > 0)[:, None, None]
        save(f"picture__guidedgradcam__{layer}.npy", guided * up[:, None])
    # Fusion of the layers' maps (shallow to deep, as listed), at the input's size.
    for method in ("gradcam", "layercam"):
        per = [np.load(os.path.join(a.out, f"map__{method}__{layer}.npy")).astype(np.float64) for layer in layers]
        for rule in ("max", "mean"):
            save(f"fused__{method}__{rule}.npy",
                 np.stack([fuse_np([p[c] for p in per], x.shape[2], x.shape[3], rule) for c in range(k)]))
    noise = np.stack([smoothgrad_noise(x32.numel(), i) for i in range(SMOOTH_COPIES)])
    save("noise.npy", noise)
    meta = {"case": a.case, "layers": layers, "classes": f.classes,
            "methods": sorted(list(LAYER_METHODS) + ["scorecam", "saliency", "guidedbackprop", "guidedgradcam",
                                                     "smoothgrad"]),
            "smoothgrad_copies": SMOOTH_COPIES}
    with open(os.path.join(a.out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    with open(os.path.join(a.out, "layers.txt"), "w") as fh:
        fh.write("\n".join(layers) + "\n")
    with open(os.path.join(a.out, "methods.txt"), "w") as fh:
        fh.write("\n".join(meta["methods"]) + "\n")
    print(f"{a.case}: {len(f.nodes)} nodes, layers {', '.join(layers)}, logits {logits[0].tolist()}")


def _v1_args(L):
    """A version-1 layer's arguments as version-2 node arguments."""
    a = L.args
    if L.type == "conv":
        return {"cin": a[0], "cout": a[1], "k": (a[2], a[2]), "s": (a[3], a[3]), "p": (a[4],) * 4}
    if L.type == "batchnorm":
        return {"c": a[0], "eps": a[1]}
    if L.type == "maxpool":
        return {"k": (a[0], a[0]), "s": (a[1], a[1])}
    if L.type == "adaptiveavgpool":
        return {"out": (a[0], a[1])}
    if L.type == "linear":
        return {"in": a[0], "out": a[1]}
    return {}


if __name__ == "__main__":
    main()
