#!/usr/bin/env python3
"""Reference data for the faithfulness metrics (wasm/metrics/metrics.h), made at test time
with NumPy, SciPy and PyTorch, independent of the core: the shipped model (csw.run_graph,
float32) on the demo picture both.png, with fixed maps written here.

  /usr/bin/python3 tools/reference_metrics.py --out build/metrics

Writes weights.csw, input.npy and, per map (map__NAME.npy at the input's size: a smooth blob,
a flat map, an all-zero map, a random one):
  del__NAME__C.npy / ins__NAME__C.npy   deletion (zero baseline) / insertion (blur) curves,
                                        10 steps, class C (0 and 1)
  delmean__NAME__C.npy                  deletion onto the input's mean colour
  conf__NAME__C.npy                     [Y, O, drop, increase] of the Grad-CAM++ paper
  road__NAME__C__morf.npy / __lerf      ROAD probabilities at 20, 50, 80 %, no noise
and impute.npy (one imputation, 50 % most relevant of the blob removed, no noise),
spearman.npy ([rho(a, b), rho(a, c)] of three fixed vectors with ties), baselines
(base__zero/mean/blur.npy).
"""

import argparse
import os
import sys

import numpy as np
import torch
from scipy import sparse, stats
from scipy.sparse.linalg import spsolve

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402
import model as models  # noqa: E402
import reference_methods as rm  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
STEPS = 10
PERCENTS = (20, 50, 80)


def blur(x):
    """RISE's blur parameters: 11 x 11, sigma 5, a sampled separable Gaussian normalised to 1,
    zero padding, per channel."""
    d = np.arange(-5, 6)
    k = np.exp(-d ** 2 / (2 * 25.0))
    k = k / k.sum()
    c, h, w = x.shape
    out = np.zeros_like(x, dtype=np.float64)
    for ch in range(c):
        p = np.pad(x[ch].astype(np.float64), 5)
        t = sum(k[i] * p[:, i:i + w] for i in range(11))  # rows of the padded plane
        out[ch] = sum(k[i] * t[i:i + h, :] for i in range(11))
    return out


def order(m):
    """Positions by value, largest first, ties by position (a stable sort of -m)."""
    return np.argsort(-m.ravel(), kind="stable")


def steps_count(t, steps, n):
    return int(np.floor(t * n / steps + 0.5))


def curve(f, x, m, base, insertion, cls):
    o = order(m)
    n = m.size
    onto, frm = (base, x) if insertion else (x, base)
    inputs = []
    for t in range(STEPS + 1):
        cur = onto.reshape(3, -1).copy()
        k = steps_count(t, STEPS, n)
        cur[:, o[:k]] = frm.reshape(3, -1)[:, o[:k]]
        inputs.append(cur.reshape(x.shape))
    return probs(f, np.stack(inputs))[:, cls]


def probs(f, batch):
    with torch.no_grad():
        return torch.softmax(csw.run_graph(f, torch.from_numpy(np.asarray(batch, np.float32))).double(), 1).numpy()


def impute(x, removed):
    """ROAD's noisy linear imputation without noise: pytorch-grad-cam's sparse system, solved
    directly (scipy.sparse.linalg.spsolve)."""
    c, h, w = x.shape
    idx = np.flatnonzero(removed.ravel())
    var = -np.ones(h * w, int)
    var[idx] = np.arange(len(idx))
    nb = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6),
          ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]
    a = sparse.lil_matrix((len(idx), len(idx)))
    b = np.zeros((len(idx), c))
    s = np.zeros(len(idx))
    flat = x.reshape(c, -1).astype(np.float64)
    for i, p in enumerate(idx):
        y, xx = divmod(p, w)
        for (dy, dx), wt in nb:
            ny, nx = y + dy, xx + dx
            if not (0 <= ny < h and 0 <= nx < w):
                continue
            s[i] += wt
            q = ny * w + nx
            if var[q] >= 0:
                a[i, var[q]] = -wt
            else:
                b[i] += wt * flat[:, q]
    a.setdiag(s)
    sol = spsolve(sparse.csc_matrix(a), b)
    out = flat.copy()
    out[:, idx] = np.asarray(sol).reshape(len(idx), c).T
    return out.reshape(x.shape)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(ROOT, "weights", "camscope_catsdogs_int8.csw")
    blob = open(path, "rb").read()
    f = csw.read_csw(blob)
    f.nodes = [csw.NodeSpec(L.name, L.type, ["input" if i == 0 else f.layers[i - 1].name], rm._v1_args(L))
               for i, L in enumerate(f.layers)]
    from PIL import Image

    with Image.open(os.path.join(ROOT, "web", "samples", "both.png")) as im:
        x = models.preprocess(np.array(im.convert("RGB")))[0].numpy()

    def save(name, arr):
        np.save(os.path.join(a.out, name), np.ascontiguousarray(arr, dtype="<f4"))

    with open(os.path.join(a.out, "weights.csw"), "wb") as fh:
        fh.write(blob)
    save("input.npy", x)
    h, w = x.shape[1:]
    yy, xx = np.mgrid[0:h, 0:w]
    maps = {
        "blob": np.exp(-(((yy - 80) / 40.0) ** 2 + ((xx - 140) / 50.0) ** 2)),
        "flat": np.full((h, w), 0.5),
        "zero": np.zeros((h, w)),
        "random": np.random.default_rng(4).random((h, w)),
    }
    bases = {"zero": np.zeros_like(x, dtype=np.float64), "mean": x.mean(axis=(1, 2), keepdims=True) * np.ones_like(x),
             "blur": blur(x)}
    for k, v in bases.items():
        save(f"base__{k}.npy", v)
    y = probs(f, x[None])[0]
    for name, m in maps.items():
        m = m.astype(np.float32)
        save(f"map__{name}.npy", m)
        for cls in (0, 1):
            save(f"del__{name}__{cls}.npy", curve(f, x, m, bases["zero"], False, cls))
            save(f"ins__{name}__{cls}.npy", curve(f, x, m, bases["blur"], True, cls))
            save(f"delmean__{name}__{cls}.npy", curve(f, x, m, bases["mean"], False, cls))
            mx = float(m.max())
            masked = x * (m / mx)[None] if mx > 0 else np.zeros_like(x)
            o = probs(f, masked[None])[0][cls]
            save(f"conf__{name}__{cls}.npy", [y[cls], o, max(0.0, y[cls] - o) / y[cls], float(o > y[cls])])
            if name in ("blob", "random"):
                od = order(m)
                for morf in (True, False):
                    res = []
                    for r in PERCENTS:
                        k = int(np.floor(r * m.size / 100 + 0.5))
                        removed = np.zeros(m.size, bool)
                        removed[od[:k] if morf else od[::-1][:k]] = True
                        res.append(probs(f, impute(x, removed.reshape(h, w))[None])[0][cls])
                    save(f"road__{name}__{cls}__{'morf' if morf else 'lerf'}.npy", res)
    removed = np.zeros(h * w, bool)
    removed[order(maps["blob"].astype(np.float32))[: h * w // 2]] = True
    save("impute.npy", impute(x, removed.reshape(h, w)))
    va = np.array([1, 2, 2, 3, 5, 5, 5, 0], np.float32)
    vb = np.array([2, 1, 3, 3, 4, 6, 5, 1], np.float32)
    vc = -va
    save("spearman_in.npy", np.stack([va, vb, vc]))
    save("spearman.npy", [stats.spearmanr(va, vb).correlation, stats.spearmanr(va, vc).correlation])
    print(f"metrics reference in {a.out}: probabilities {y.tolist()}")


if __name__ == "__main__":
    main()
