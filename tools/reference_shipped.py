#!/usr/bin/env python3
"""Float32 PyTorch maps of the shipped model on the demo pictures, for the int8 check.

The shipped file is int8; the float32 model it came from (tools/train.py's best.pt) is not
shipped. This writes what the test needs to compare the C++ core on the int8 file with
PyTorch on the float32 weights: each picture as decoded RGB (so both sides see the same
pixels), and PyTorch's float32-weight logits and Grad-CAM / Layer-CAM maps at the last conv
and at avgpool.

  /usr/bin/python3 tools/reference_shipped.py --state best.pt --samples web/samples \\
      --out tests/golden/shipped
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import cats_dogs_model, preprocess  # noqa: E402
from reference import CAM_FNS  # noqa: E402

LAYERS = ("features.14", "avgpool")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", required=True)
    ap.add_argument("--samples", default="web/samples")
    ap.add_argument("--out", default="tests/golden/shipped")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    model = cats_dogs_model()
    model.load_state_dict(torch.load(a.state, map_location="cpu"))
    model = model.double().eval()
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    mods = dict(model.named_modules())
    meta = {"state": os.path.basename(a.state), "layers": list(LAYERS), "pictures": {}}
    for f in sorted(os.listdir(a.samples)):
        if not f.endswith((".png", ".jpg")):
            continue
        stem = os.path.splitext(f)[0]
        with Image.open(os.path.join(a.samples, f)) as im:
            pic = np.array(im.convert("RGB"), dtype=np.uint8)
        np.save(os.path.join(a.out, f"{stem}.picture.npy"), pic)
        kept = {}
        def keep(name):
            def hook(_module, _inputs, output):
                kept[name] = output  # returns None: the output itself is not replaced

            return hook

        hooks = [mods[n].register_forward_hook(keep(n)) for n in LAYERS]
        x = preprocess(pic).double()
        logits = model(x)[0]
        for h in hooks:
            h.remove()
        for n in LAYERS:
            a_ = kept[n][0].detach().numpy()
            g = np.stack([torch.autograd.grad(logits[c], kept[n], retain_graph=True)[0][0].numpy()
                          for c in range(len(logits))])
            for method, fn in CAM_FNS.items():
                np.save(os.path.join(a.out, f"f32_cam__{method}__{n}__{stem}.npy"), fn(a_, g).astype("<f4"))
        np.save(os.path.join(a.out, f"f32_logits__{stem}.npy"), logits.detach().numpy().astype("<f4"))
        meta["pictures"][stem] = {"file": f, "logits": [float(v) for v in logits]}
    with open(os.path.join(a.out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
