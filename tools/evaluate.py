#!/usr/bin/env python3
"""Measure the shipped model: PyTorch float32 vs the C++ core on the int8 export.

  /usr/bin/python3 tools/evaluate.py --state best.pt --int8 weights/camscope_catsdogs_int8.csw \\
      --f32 build/catsdogs_f32.csw --cli build/camscope --data ../shared/data/catsdogs \\
      --samples web/samples --out weights/evaluation.json

1. Validation accuracy of the float32 model in PyTorch (camscope's preprocessing,
   tools/model.py:preprocess, on PIL-decoded pictures).
2. Validation accuracy of the int8 file through the native CLI (`camscope classify`,
   stb_image decoding), and how often the two predict the same class.
3. Pearson correlation of int8 vs float32 maps (both through the CLI) on the demo pictures.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import cats_dogs_model, preprocess  # noqa: E402

CLASSES = ("cat", "dog")


def val_files(root):
    """(path, label) of every validation picture, cats first."""
    out = []
    for label, name in enumerate(CLASSES):
        d = os.path.join(root, "val", name)
        out += [(os.path.join(d, f), label) for f in sorted(os.listdir(d))]
    return out


def torch_predictions(state, files):
    """Class index per picture from the float32 PyTorch model."""
    model = cats_dogs_model()
    model.load_state_dict(torch.load(state, map_location="cpu"))
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(files), 64):
            batch = []
            for path, _ in files[i : i + 64]:
                with Image.open(path) as im:
                    batch.append(preprocess(np.asarray(im.convert("RGB"))))
            preds += model(torch.cat(batch)).argmax(1).tolist()
    return preds


def cli_predictions(cli, weights, files):
    """Class index per picture from `camscope classify` (TSV: file, class index, ...)."""
    preds = {}
    for i in range(0, len(files), 500):
        chunk = [p for p, _ in files[i : i + 500]]
        out = subprocess.run([cli, "classify", *chunk, "--weights", weights], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            cols = line.split("\t")
            preds[cols[0]] = int(cols[1])
    return [preds[p] for p, _ in files]


def upsampled(m):
    """A raw map bilinearly upsampled to 224 x 224 (align_corners=False), as the page shows it."""
    t = torch.from_numpy(np.ascontiguousarray(m, dtype=np.float64))[None, None]
    return torch.nn.functional.interpolate(t, size=(224, 224), mode="bilinear", align_corners=False).numpy()


def map_correlations(cli, int8, f32, samples):
    """Per demo picture, method and class: Pearson r of int8 vs float32 maps, raw (layer
    resolution) and as displayed (upsampled to 224 x 224)."""
    pics = [os.path.join(samples, f) for f in sorted(os.listdir(samples)) if f.endswith((".png", ".jpg"))]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for tag, w in (("int8", int8), ("f32", f32)):
            subprocess.run([cli, "explain", *pics, "--weights", w, "--out", os.path.join(tmp, tag)], check=True,
                           capture_output=True)
        for f in sorted(os.listdir(os.path.join(tmp, "int8"))):
            if f.endswith(".npy"):
                a = np.load(os.path.join(tmp, "int8", f))
                b = np.load(os.path.join(tmp, "f32", f))
                out[f[:-4]] = (float(np.corrcoef(a.ravel(), b.ravel())[0, 1]),
                               float(np.corrcoef(upsampled(a).ravel(), upsampled(b).ravel())[0, 1]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", required=True, help="float32 state_dict (tools/train.py best.pt)")
    ap.add_argument("--int8", required=True)
    ap.add_argument("--f32", required=True, help="float32 export of the same state_dict")
    ap.add_argument("--cli", default="build/camscope")
    ap.add_argument("--data", default="../shared/data/catsdogs")
    ap.add_argument("--samples", default="web/samples")
    ap.add_argument("--out", default="weights/evaluation.json")
    a = ap.parse_args()

    files = val_files(a.data)
    labels = [y for _, y in files]
    t0 = time.time()
    tp = torch_predictions(a.state, files)
    t1 = time.time()
    cp = cli_predictions(a.cli, a.int8, files)
    t2 = time.time()
    acc_t = 100.0 * sum(p == y for p, y in zip(tp, labels)) / len(files)
    acc_c = 100.0 * sum(p == y for p, y in zip(cp, labels)) / len(files)
    agree = 100.0 * sum(p == q for p, q in zip(tp, cp)) / len(files)
    corr = map_correlations(a.cli, a.int8, a.f32, a.samples)
    result = {
        "validation_pictures": len(files),
        "torch_f32_accuracy": round(acc_t, 2),
        "cli_int8_accuracy": round(acc_c, 2),
        "prediction_agreement": round(agree, 2),
        "torch_seconds": round(t1 - t0, 1),
        "cli_seconds": round(t2 - t1, 1),
        "int8_vs_f32_map_correlation": {k: {"raw": round(r, 5), "displayed": round(d, 5)}
                                        for k, (r, d) in corr.items()},
        "min_map_correlation_raw": round(min(r for r, _ in corr.values()), 5),
        "min_map_correlation_displayed": round(min(d for _, d in corr.values()), 5),
        "torch": torch.__version__,
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "int8_vs_f32_map_correlation"}, indent=1))


if __name__ == "__main__":
    main()
