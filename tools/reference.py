#!/usr/bin/env python3
"""Golden files for the C++ tests: activations, gradients, CAMs and upsampled maps of
random-weight AlexNets, computed by PyTorch on exactly the weights the C++ core reads.

  /usr/bin/python3 tools/reference.py --out tests/golden           # the committed set
  /usr/bin/python3 tools/reference.py --out build/golden --live    # + tv_alexnet (large)

Cases (one folder each; see meta.json in each for the file list, shapes and seeds):
  alexnet/      AlexNet convs, 3-Linear head of width 256, 2 classes, f16 weights
  alexnet_bn/   model.cats_dogs_model() (AlexNet-BN, 128 head), int8 weights
  tv_alexnet/   (--live) torchvision.models.alexnet(num_classes=2), f32 weights
Each holds a 257 x 301 synthetic picture, its preprocessed input and every layer's output,
gradient and map, and in193/ the same from the last conv on for a raw 3 x 193 x 193 random
input (features end at 5 x 5 there, so AdaptiveAvgPool2d(6, 6) uses overlapping windows).
The shipped model's float32 maps (for the int8 check) come from tools/reference_shipped.py.

Everything is computed in float64 from the dequantised float32 weights and the float32 input,
then stored as float32 ('<f4', C order); picture.npy is uint8 ('|u1').
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

try:
    import torchvision
except ImportError:  # only tv_alexnet (--live) needs it
    torchvision = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402
import model as models  # noqa: E402

PICTURE_H, PICTURE_W = 257, 301
PICTURE_SEED = 1000
IN193_SEED = 193
METHODS = ("gradcam", "layercam")
GRAD_FROM = 3  # gradients are written for layers with index >= 3
CASES = {
    # name: (builder, weights seed, dtype, class names)
    "alexnet": (lambda: models.alexnet(num_classes=2, hidden=256, head_layers=3), 1, "f16", ["cat", "dog"]),
    "alexnet_bn": (models.cats_dogs_model, 2, "i8", ["cat", "dog"]),
    "tv_alexnet": (None, 3, "f32", ["cat", "dog"]),
}


# --------------------------------------------------------------------------------------
# Inputs and random weights


def synthetic_picture(h=PICTURE_H, w=PICTURE_W, seed=PICTURE_SEED):
    """A natural-ish uint8 (h, w, 3) picture: smooth gradients, a few soft shapes, texture, noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / (w - 1), y / (h - 1)
    img = np.stack([
        70 + 120 * u + 30 * np.sin(3.1 * v),
        90 + 100 * v - 20 * u,
        150 - 60 * np.hypot(u - 0.3, v - 0.6),
    ], axis=-1)
    # soft-edged shapes: (centre y, centre x, radius y, radius x, colour)
    for cy, cx, ry, rx, col in [(0.35, 0.3, 0.18, 0.14, (200, 60, 40)), (0.62, 0.7, 0.22, 0.17, (40, 50, 90)),
                                (0.8, 0.25, 0.1, 0.2, (230, 210, 120))]:
        d = ((v - cy) / ry) ** 2 + ((u - cx) / rx) ** 2
        a = 1.0 / (1.0 + np.exp(np.minimum((d - 1.0) * 12.0, 50.0)))
        img = img * (1 - a[..., None]) + np.array(col, dtype=np.float64) * a[..., None]
    # a rectangle with a stripe texture
    r = (np.abs(u - 0.55) < 0.12) & (np.abs(v - 0.22) < 0.09)
    img[r] = img[r] * 0.3 + (60 + 50 * np.sin(x[r] * 0.9))[..., None] * np.array([0.5, 1.0, 0.7])
    # fur-like fine texture, then pixel noise
    img += 10 * np.sin(0.37 * x + 0.21 * y)[..., None] * np.array([1.0, 0.8, 0.6])
    img += rng.normal(0, 6, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def randomise(m, seed):
    """Random weights that keep activations O(1): Kaiming-normal conv/linear weights, small
    random biases; BatchNorm affine parameters and running statistics random (var > 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = mod.weight[0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if mod.bias is not None:
                    mod.bias.copy_((torch.rand(mod.bias.shape, generator=g) - 0.5) * 0.2)
            elif isinstance(mod, torch.nn.BatchNorm2d):
                c = mod.num_features
                mod.weight.copy_(0.5 + torch.rand(c, generator=g))
                mod.bias.copy_(torch.randn(c, generator=g) * 0.2)
                mod.running_mean.copy_(torch.randn(c, generator=g) * 0.3)
                mod.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=g))
    return m.eval()


# --------------------------------------------------------------------------------------
# Reference computations


def chain_of(net):
    """(name, module) of a model_from_csw network, execution order."""
    return csw.layer_chain(net)


def forward_backward(chain, x, k):
    """float64 forward of one CHW input with every layer's output kept, and the gradient of
    each raw logit with respect to every layer's output (batch of k copies, copy i -> logit i)."""
    h = torch.from_numpy(np.asarray(x, dtype=np.float32)).to(torch.float64)
    h = h.unsqueeze(0).repeat(k, *([1] * h.dim())).requires_grad_(False)
    outs = []
    for _, m in chain:
        h = m(h)
        if h.requires_grad:
            h.retain_grad()
        outs.append(h)
    logits = outs[-1]
    assert logits.shape == (k, k), logits.shape
    logits.diagonal().sum().backward()
    acts = [o[0].detach().numpy().copy() for o in outs]
    grads = [o.grad.detach().numpy().copy() if o.grad is not None else None for o in outs]
    return acts, grads


def forward32(chain32, x):
    """float32 PyTorch forward (what a float32 implementation gets), every layer's output."""
    h = torch.from_numpy(np.asarray(x, dtype=np.float32)).unsqueeze(0)
    outs = []
    with torch.no_grad():
        for _, m in chain32:
            h = m(h)
            outs.append(h[0].numpy().copy())
    return outs


def gradcam(a, g):
    """a (C,H,W), g (K,C,H,W) -> (K,H,W): ReLU(sum_k mean_hw(G_k) A_k)."""
    w = g.mean(axis=(2, 3))
    return np.maximum(np.einsum("kc,chw->khw", w, a), 0.0)


def layercam(a, g):
    """a (C,H,W), g (K,C,H,W) -> (K,H,W): ReLU(sum_k ReLU(G_k) * A_k)."""
    return np.maximum((np.maximum(g, 0.0) * a[None]).sum(axis=1), 0.0)


CAM_FNS = {"gradcam": gradcam, "layercam": layercam}


def upsample(cam, size):
    """(K,H,W) -> (K,OH,OW) by F.interpolate bilinear, align_corners=False, no antialias."""
    t = torch.from_numpy(cam).to(torch.float64)[:, None]
    return F.interpolate(t, size=tuple(size), mode="bilinear", align_corners=False)[:, 0].numpy()


def decision_margins(layers, acts):
    """For every ReLU and max-pool whose backward shapes a written gradient (index > GRAD_FROM):
    name -> distances to a flipped decision relative to the rms of the layer's input: ReLU:
    |pre-activation|; max-pool: largest minus second largest value of each window (windows
    with a positive maximum only; tied zeros after a ReLU are exact in any precision)."""
    out = {}
    for i, L in enumerate(layers):
        if i <= GRAD_FROM or L.type not in ("relu", "maxpool"):
            continue
        x64 = acts[i - 1]
        rms = float(np.sqrt(np.mean(x64 ** 2))) or 1.0
        if L.type == "relu":
            rel = np.abs(x64).ravel() / rms
        else:
            k, s = L.args
            win = F.unfold(torch.from_numpy(x64)[None], k, stride=s)[0].reshape(x64.shape[0], k * k, -1).numpy()
            srt = np.sort(win, axis=1)
            top, second = srt[:, -1], srt[:, -2]
            rel = (top - second)[top > 0] / rms
        out[L.name] = rel
    return out


def min_margin(layers, acts):
    return min((float(r.min()) for r in decision_margins(layers, acts).values() if r.size), default=float("inf"))


def fragility(layers, acts, acts32):
    """How close the decisions a float32 run could take differently come to flipping:
    per ReLU / max-pool (see decision_margins) the smallest margin, how many lie within 1e-5
    and 1e-4, the float32 PyTorch run's max and mean deviation from float64 at the layer's
    input (/ rms), and how many decisions the float32 run actually took differently."""
    out = {}
    names = [L.name for L in layers]
    for name, rel in decision_margins(layers, acts).items():
        i = names.index(name)
        L = layers[i]
        x64, x32 = acts[i - 1], acts32[i - 1]
        rms = float(np.sqrt(np.mean(x64 ** 2))) or 1.0
        if L.type == "relu":
            flips = int(np.sum((x64 > 0) != (x32 > 0)))
        else:
            k, s = L.args
            _, i64 = F.max_pool2d(torch.from_numpy(x64)[None], k, s, return_indices=True)
            _, i32 = F.max_pool2d(torch.from_numpy(x32)[None], k, s, return_indices=True)
            flips = int((i64 != i32).sum())
        out[name] = {"type": L.type, "margin_rel": float(rel.min()) if rel.size else None,
                     "f32_dev_rel": float(np.abs(x32 - x64).max()) / rms,
                     "f32_typical_dev_rel": float(np.abs(x32 - x64).mean()) / rms,
                     "near_1e-5": int(np.sum(rel < 1e-5)), "near_1e-4": int(np.sum(rel < 1e-4)),
                     "f32_flips": flips}
    return out


def save(path, arr, dtype="<f4"):
    arr = np.ascontiguousarray(np.asarray(arr).astype(dtype))
    np.save(path, arr, allow_pickle=False)


def write_maps(d, layers, acts, grads, cam_layers, last_conv, up_size, pic_size, prefix=""):
    """cam__, up__ (and uppic__) files for one run; returns {method: {layer: cam}}."""
    names = [L.name for L in layers]
    cams = {}
    for method in METHODS:
        cams[method] = {}
        for lname in cam_layers:
            i = names.index(lname)
            cam = CAM_FNS[method](acts[i], grads[i])
            cams[method][lname] = cam
            save(os.path.join(d, f"{prefix}cam__{method}__{lname}.npy"), cam)
            if lname == last_conv and not prefix:
                save(os.path.join(d, f"up__{method}__{lname}.npy"), upsample(cam, up_size))
                if pic_size is not None:
                    save(os.path.join(d, f"uppic__{method}__{lname}.npy"), upsample(cam, pic_size))
    return cams


def run_case(d, f, net, x, picture, seeds, extra_meta=None, from_last_conv=False):
    """Writes one run (activations, gradients, maps, logits) of network `net` (rebuilt from
    the weights file `f`) on input x (C,H,W float32) into folder d; returns (meta, acts, grads)."""
    os.makedirs(d, exist_ok=True)
    layers = f.layers
    names = [L.name for L in layers]
    k = len(f.classes)
    chain64 = [(n, m) for n, m in chain_of(net.double())]
    acts, grads = forward_backward(chain64, x, k)
    net.float()
    acts32 = forward32(chain_of(net), x)
    shapes = csw.layer_shapes(layers, x.shape)
    for a, s in zip(acts, shapes):
        assert a.shape == s, (a.shape, s)
    if picture is not None:
        save(os.path.join(d, "picture.npy"), picture, "|u1")
    save(os.path.join(d, "input.npy"), x)
    convs = [i for i, L in enumerate(layers) if L.type == "conv"]
    # from_last_conv: only the end of the network is written (keeps the committed set small)
    first = convs[-1] if from_last_conv else 0
    for n, a in list(zip(names, acts))[first:]:
        save(os.path.join(d, f"act__{n}.npy"), a)
    grad_from = max(GRAD_FROM, first)
    grad_layers = names[grad_from:]
    for i in range(grad_from, len(names)):
        save(os.path.join(d, f"grad__{names[i]}.npy"), grads[i])
    first_cam = convs[-1] if from_last_conv else convs[2]
    cam_layers = [names[i] for i in range(first_cam, len(names)) if len(shapes[i]) == 3]
    last_conv = names[convs[-1]]
    up_size = (224, 224) if picture is not None else tuple(x.shape[1:])
    pic_size = picture.shape[:2] if picture is not None else None
    cams = write_maps(d, layers, acts, grads, cam_layers, last_conv, up_size, pic_size)
    logits = acts[-1].astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    save(os.path.join(d, "logits.npy"), logits)
    save(os.path.join(d, "probs.npy"), probs)
    empty = {m: {l: [bool(np.all(c[j] == 0)) for j in range(k)] for l, c in cams[m].items()} for m in METHODS}
    meta = {
        "input": {"file": "input.npy", "shape": list(x.shape),
                  "source": "model.preprocess(picture.npy)" if picture is not None else "raw N(0,1) values fed to the network"},
        "picture": {"file": "picture.npy", "shape": list(picture.shape), "dtype": "uint8"} if picture is not None else None,
        "layers": [{"name": L.name, "type": L.type, "shape": list(s)} for L, s in zip(layers, shapes)],
        "grad_layers": grad_layers,
        "cam_layers": cam_layers,
        "last_conv": last_conv,
        "methods": list(METHODS),
        "up_size": list(up_size),
        "uppic_size": list(pic_size) if pic_size is not None else None,
        "logits": [float(v) for v in logits],
        "probs": [float(v) for v in probs],
        "empty_maps": empty,
        "activation_rms": {n: float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) for n, a in zip(names, acts)},
        "fragility": fragility(layers, acts, acts32),
        "seeds": seeds,
    }
    if extra_meta:
        meta.update(extra_meta)
    return meta, acts, grads, cams


COMMON_META = {
    "reference": "PyTorch float64 on the dequantised float32 weights and the float32 input, stored as float32",
    "array_format": "np.save, '<f4' C order (picture.npy '|u1'); act (C,H,W) or (N,); grad (K,C,H,W) or (K,N); "
                    "cam (K,H,W); up/uppic (K,OH,OW)",
    "conventions": [
        "grad__L[k] = d logit_k / d output(L), raw logits (no softmax); written for layer index >= 3",
        "act__L is the layer's own output (ReLU never in place: conv/batchnorm outputs are pre-ReLU)",
        "gradcam: ReLU(sum_c mean_hw(G_kc) A_c); layercam: ReLU(sum_c ReLU(G_kc) A_c)",
        "up/uppic: F.interpolate(cam[:, None], size, mode='bilinear', align_corners=False)",
        "max-pool backward: ties go to the first maximum in window row-major order (PyTorch CPU); "
        "windows of tied zeros after a ReLU occur and route the gradient to their first element",
        "ReLU backward passes the gradient where the output is > 0 (0 at exactly 0)",
        "AdaptiveAvgPool2d backward: each output's gradient spread evenly over its window, overlaps add up",
        "fragility: per ReLU / max-pool (index > 3), the smallest distance to a flipped decision relative "
        "to the input's rms, next to float32 PyTorch's deviation; f32_flips counts actual flips",
    ],
}


def inputs():
    """The two inputs of every case: the preprocessed picture and the raw 3 x 193 x 193 one."""
    picture = synthetic_picture()
    x = models.preprocess(picture)[0].numpy()
    x193 = np.random.default_rng(IN193_SEED).standard_normal((3, 193, 193)).astype(np.float32)
    return picture, x, x193


MIN_MARGIN = 3e-6  # about 10x float32's typical deviation from float64 (see meta.json fragility)


def assess(m, dtype, xs):
    """(number of all-zero maps, smallest decision margin) of model m stored as dtype, over
    the inputs xs, every cam layer, method and class."""
    f = csw.read_csw(csw.build_csw(m, dtype)[0])
    chain = chain_of(csw.model_from_csw(f).double())
    names = [L.name for L in f.layers]
    convs = [i for i, L in enumerate(f.layers) if L.type == "conv"]
    n, margin = 0, float("inf")
    for x in xs:
        acts, grads = forward_backward(chain, x, len(f.classes))
        margin = min(margin, min_margin(f.layers, acts))
        for i in range(convs[2], len(names)):
            if acts[i].ndim == 3:
                for fn in CAM_FNS.values():
                    n += int(sum(np.all(c == 0) for c in fn(acts[i], grads[i])))
    return n, margin


def pick_seed(builder, seed, dtype, xs, tries=300):
    """The first weights seed from `seed` on that gives, for both inputs, no all-zero map (an
    all-zero map tests little) and no ReLU / max-pool decision within MIN_MARGIN of flipping
    (so a float32 implementation routes every gradient as float64 PyTorch does);
    returns (seed, model, number of seeds rejected)."""
    for s in range(seed, seed + tries):
        m = randomise(builder(), s)
        empty, margin = assess(m, dtype, xs)
        if empty == 0 and margin >= MIN_MARGIN:
            return s, m, s - seed
    raise SystemExit(f"no weights seed in {seed}..{seed + tries - 1} passes (non-empty maps, margin >= {MIN_MARGIN})")


def make_case(out, case):
    builder, seed0, dtype, classes = CASES[case]
    if case == "tv_alexnet":
        builder = lambda: torchvision.models.alexnet(num_classes=2)  # noqa: E731
    picture, x, x193 = inputs()
    seed, m, rejected = pick_seed(builder, seed0, dtype, (x, x193))
    d = os.path.join(out, case)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    wpath = os.path.join(d, "weights.csw")
    csw.write_csw(wpath, m, dtype, name=f"golden_{case}", classes=classes)
    f = csw.read_csw(wpath)
    net = csw.model_from_csw(f)

    seeds = {"weights": seed, "weights_seeds_rejected": rejected, "picture": PICTURE_SEED,
             "note": "weights: torch.Generator().manual_seed(seed), see reference.randomise; seeds from "
                     f"{seed0} on are tried until no Grad-CAM/Layer-CAM map is all zero and no ReLU / "
                     f"max-pool decision lies within {MIN_MARGIN} (relative to rms) of flipping, for both inputs"}
    versions = {"torch": torch.__version__, "numpy": np.__version__}
    if torchvision is not None:
        versions["torchvision"] = torchvision.__version__
    base = {"case": case, "classes": f.classes, "weights": {"file": "weights.csw", "dtype": dtype,
            "bytes": os.path.getsize(wpath), "name": f.name}, "versions": versions, **COMMON_META}

    meta, acts, grads, cams = run_case(d, f, net, x, picture, seeds, base)
    assert not any(any(e) for ls in meta["empty_maps"].values() for e in ls.values())
    meta["files"] = sorted(os.listdir(d))
    meta["subcases"] = ["in193"]

    # in193: a raw random input that leaves 5 x 5 at the end of features
    d193 = os.path.join(d, "in193")
    seeds193 = dict(seeds, input=IN193_SEED, picture=None)
    seeds193["input_note"] = "np.random.default_rng(seed).standard_normal((3, 193, 193)).astype(float32)"
    meta193, acts193, _, _ = run_case(d193, f, net, x193, None, seeds193, base, from_last_conv=True)
    avg = [L.name for L in f.layers].index("avgpool")
    pre = acts193[avg - 1].shape
    assert pre[1:] == (5, 5), f"in193: features end at {pre}, expected 5 x 5"
    meta193["note"] = f"features end at {pre[1]} x {pre[2]}; up__ maps are at the input's size {list(x193.shape[1:])}"
    meta193["files"] = sorted(os.listdir(d193) + ["meta.json"])
    with open(os.path.join(d193, "meta.json"), "w") as fh:
        json.dump(meta193, fh, indent=1)
    meta["files"] = sorted(os.listdir(d)) + ["meta.json"]
    with open(os.path.join(d, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    return meta, meta193


def dir_size(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--live", action="store_true", help="also tv_alexnet (f32 torchvision AlexNet, ~230 MB)")
    ap.add_argument("--case", action="append", help="only these cases")
    a = ap.parse_args()
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    cases = a.case or (["alexnet", "alexnet_bn"] + (["tv_alexnet"] if a.live else []))
    os.makedirs(a.out, exist_ok=True)
    for case in cases:
        meta, meta193 = make_case(a.out, case)
        for label, mt in (("", meta), ("/in193", meta193)):
            fr = mt["fragility"]
            worst = min(fr.items(), key=lambda kv: kv[1]["margin_rel"] / max(kv[1]["f32_dev_rel"], 1e-30))
            print(f"{case}{label}: logits {np.round(mt['logits'], 4).tolist()}, "
                  f"{sum(v['f32_flips'] for v in fr.values())} float32 flips, tightest {worst[0]} "
                  f"margin {worst[1]['margin_rel']:.2e} vs f32 dev {worst[1]['f32_dev_rel']:.2e}")
            empties = [(m, l) for m, ls in mt["empty_maps"].items() for l, e in ls.items() if any(e)]
            if empties:
                print(f"  all-zero maps: {empties}")
        print(f"{case}: {dir_size(os.path.join(a.out, case)) / 2**20:.1f} MiB")
    with open(os.path.join(a.out, "README.md"), "w") as fh:
        fh.write(
            "# Golden files for the C++ tests\n\n"
            "Generated by `/usr/bin/python3 tools/reference.py --out tests/golden` (fixed seeds);\n"
            "do not edit by hand. Each case folder has a `meta.json` listing its layers, shapes,\n"
            "files, seeds and conventions; `in193/` inside it holds the same run for a raw\n"
            "3 x 193 x 193 input. `--live` adds `tv_alexnet/` (about 230 MB, not committed).\n"
        )
    print(f"{a.out}: {dir_size(a.out) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
