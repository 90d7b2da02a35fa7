#!/usr/bin/env python3
"""The lab's PyTorch model, end to end: a whole pickled torchvision AlexNet whose last Linear
has 2 outputs (the lab's torch_alex.pth, random weights here) is exported with
tools/export.py --model --trust-pickle, explained by the CLI on the three demo pictures, and
the CLI's raw maps compared with PyTorch's own (the unpickled model, float64, hooks on
features.10 and avgpool, gradients of the raw logits): 1e-4 of each map's maximum.

    /usr/bin/python3 tests/lab_roundtrip_test.py build/camscope
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import model as models  # noqa: E402
import reference  # noqa: E402

LAYERS = ("features.10", "avgpool")
PICTURES = ("cat.jpg", "dog.jpg", "both.png")
failures = []


def check(what, cond):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def torch_maps(m, x):
    """{(layer, method): (2, H, W)} from the model itself, float64, raw logits."""
    kept = {}
    hooks = [m.get_submodule(n).register_forward_hook(lambda _m, _i, o, n=n: kept.__setitem__(n, o) or o.clone())
             for n in LAYERS]
    logits = m(x)
    for h in hooks:
        h.remove()
    out = {}
    for n in LAYERS:
        a = kept[n]
        g = torch.stack([torch.autograd.grad(logits[0, c], a, retain_graph=True)[0][0] for c in range(2)])
        for method, fn in reference.CAM_FNS.items():
            out[(n, method)] = fn(a[0].detach().numpy(), g.detach().numpy())
    return out


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "camscope")
    import torchvision

    torch.manual_seed(3)
    m = torchvision.models.alexnet()
    m.classifier[6] = torch.nn.Linear(4096, 2)
    m.eval()
    with tempfile.TemporaryDirectory() as tmp:
        pth = os.path.join(tmp, "torch_alex.pth")
        torch.save(m, pth)
        csw_path = os.path.join(tmp, "lab.csw")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export.py"), "--model", pth, "--trust-pickle",
                            "--classes", "cat,dog", "--out", csw_path], capture_output=True, text=True)
        check(f"export.py --model torch_alex.pth --trust-pickle exits 0 {r.stderr.strip()[-200:]}", r.returncode == 0)
        pics = [os.path.join(ROOT, "web", "samples", p) for p in PICTURES]
        out = os.path.join(tmp, "out")
        r = subprocess.run([cli, "explain", *pics, "--weights", csw_path, "--layer", LAYERS[0], "--method",
                            "gradcam,layercam", "--class", "all", "--out", out], capture_output=True, text=True)
        check(f"camscope explain at {LAYERS[0]} exits 0 {r.stderr.strip()[-200:]}", r.returncode == 0)
        r2 = subprocess.run([cli, "explain", *pics, "--weights", csw_path, "--layer", LAYERS[1], "--method",
                             "gradcam,layercam", "--class", "all", "--out", out], capture_output=True, text=True)
        check(f"camscope explain at {LAYERS[1]} exits 0", r2.returncode == 0)
        m64 = torch.load(pth).double().eval()
        worst = 0.0
        for pic in pics:
            stem = os.path.splitext(os.path.basename(pic))[0]
            with Image.open(pic) as im:
                rgb = np.array(ImageOps.exif_transpose(im).convert("RGB"))
            x = models.preprocess(rgb).double()
            ref = torch_maps(m64, x)
            for (layer, method), maps in ref.items():
                for c, cls in enumerate(("cat", "dog")):
                    f = os.path.join(out, f"{stem}__{method}__{layer}__{cls}.npy")
                    if not os.path.exists(f):
                        check(f"{f} written", False)
                        continue
                    ours = np.load(f)
                    want = maps[c]
                    scale = np.abs(want).max()
                    err = float(np.abs(ours - want).max() / scale) if scale > 0 else float(np.abs(ours).max())
                    worst = max(worst, err)
                    check(f"{stem} {method} {layer} {cls}: CLI vs PyTorch {err:.1e}", err < 1e-4)
        print(f"worst map error {worst:.2e}")
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
