#!/usr/bin/env python3
"""What an integer path for conv1 and conv2 would do to the shipped model's outputs.

The shipped weights are int8 (per output channel); an i32x4.dot_i16x8 path would also need
the two layers' inputs as integers: each input tensor quantised symmetrically, per tensor,
to `bits` bits (the products then sum exactly in int32: |q_w| <= 127, K = 363 for conv1 and
1600 for conv2, so 12 bits is the most that cannot overflow). Compared here in float64 with
the float path on the same int8 weights: logits and Grad-CAM / Layer-CAM at features.14 for
both classes, on the three demo pictures, as the largest difference over the map's largest
value (the goldens hold maps to 1e-4 of that).

  /usr/bin/python3 bench/int8_dot/accuracy.py
"""

import os
import sys

import numpy as np
import torch
from PIL import Image

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(root, "tools"))
import csw  # noqa: E402
from model import cats_dogs_model, preprocess  # noqa: E402


def quantised(x, bits):
    """x rounded to a symmetric per-tensor grid of `bits` bits (the integer path's input)."""
    top = 2 ** (bits - 1) - 1
    scale = x.abs().max() / top
    return torch.round(x / scale).clamp(-top, top) * scale


def run(model, x, bits):
    """Logits and the two maps per class at features.14, with conv1/conv2 inputs quantised."""
    hooks = []
    if bits:
        for name in ("features.0", "features.4"):
            mod = dict(model.named_modules())[name]
            hooks.append(mod.register_forward_pre_hook(lambda m, inp: (quantised(inp[0], bits),)))
    keep = {}
    target = dict(model.named_modules())["features.14"]
    hooks.append(target.register_forward_hook(lambda m, i, o: keep.__setitem__("a", o)))
    logits = model(x)
    a = keep["a"]
    maps = []
    for c in range(logits.shape[1]):
        (g,) = torch.autograd.grad(logits[0, c], a, retain_graph=True)
        w = g.mean(dim=(2, 3), keepdim=True)
        maps.append(torch.relu((w * a).sum(1))[0])  # Grad-CAM
        maps.append((torch.relu(g) * a).sum(1)[0].clamp(min=0))  # Layer-CAM
    for h in hooks:
        h.remove()
    return logits.detach()[0], [m.detach() for m in maps]


def main():
    f = csw.parse_csw(open(os.path.join(root, "weights", "camscope_catsdogs_int8.csw"), "rb").read())
    model = cats_dogs_model()
    state = model.state_dict()
    missing = [k for k in state if k not in f.tensors and not k.endswith("num_batches_tracked")]
    if missing:
        raise SystemExit(f"the shipped file lacks {missing}")
    for k in state:
        if k in f.tensors:
            state[k] = torch.from_numpy(np.asarray(f.tensors[k], dtype=np.float32).reshape(state[k].shape))
    model.load_state_dict(state)
    model = model.double().eval()
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    samples = os.path.join(root, "web", "samples")
    print("bits | picture | logits max |diff| | maps: max |diff| / max |map| (worst of 4)")
    for bits in (12, 10, 8):
        for name in ("both.png", "cat.jpg", "dog.jpg"):
            img = np.asarray(Image.open(os.path.join(samples, name)).convert("RGB"))
            x = preprocess(img).double()
            ref_logits, ref_maps = run(model, x, 0)
            q_logits, q_maps = run(model, x, bits)
            if bits == 12 and name == "both.png":
                print(f"float path logits of both.png: {ref_logits.numpy()} (the CLI's: -2.4357, 1.9743)")
            rel = max(float((q - r).abs().max() / r.abs().max().clamp(min=1e-30)) for q, r in zip(q_maps, ref_maps))
            print(f"{bits} | {name} | {float((q_logits - ref_logits).abs().max()):.2e} | {rel:.2e}")


if __name__ == "__main__":
    main()
