#!/usr/bin/env python3
"""Export a camscope `.csw` network to ONNX (and, for TensorFlow.js, to raw float32 weights),
so that other engines run exactly the weights the C++ core runs (int8 files dequantised the
same way: tools/csw.py's model_from_csw).

  /usr/bin/python3 tools/export_onnx.py weights/camscope_catsdogs_int8.csw --onnx build/bench/shipped.onnx \\
      --raw build/bench/shipped_raw   # -> shipped_raw.json (layer list, offsets) + shipped_raw.bin

The ONNX graph takes `input` (1, 3, H, W) float32 (the network's input size unless --size)
and returns `logits` (1, classes). With --cam-layer NAME it also returns that layer's
activation as a second output `cam_activation` (for checking activations, not for timing).
--raw writes every tensor as little-endian float32 in PyTorch's layout, plus a JSON manifest
{name, input, mean, std, classes, layers: [{name, type, args, tensors: {key: [offset, shape]}}]}.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402


class WithActivation(nn.Module):
    """The chain, returning (logits, output of one named layer)."""

    def __init__(self, model, layer_names, cam_layer):
        super().__init__()
        self.model = model
        self.names = layer_names
        self.cam_layer = cam_layer
        self.mods = dict(model.named_modules())

    def forward(self, x):
        act = None
        for n in self.names:
            x = self.mods[n](x)
            if n == self.cam_layer:
                act = x
        return x, act


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights", help=".csw file")
    ap.add_argument("--onnx", help="output .onnx path")
    ap.add_argument("--raw", help="output prefix for PREFIX.json + PREFIX.bin (float32 tensors)")
    ap.add_argument("--size", type=int, default=None, help="input height = width (default: the file's)")
    ap.add_argument("--cam-layer", default=None, help="also output this layer's activation")
    ap.add_argument("--opset", type=int, default=13)
    args = ap.parse_args()
    if not args.onnx and not args.raw:
        raise SystemExit("error: nothing to write (--onnx and/or --raw)")

    f = csw.read_csw(args.weights)
    model = csw.model_from_csw(f).float().eval()
    info = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in f.lines if " " in line}
    c, h, w = (int(v) for v in info["input"].split())
    if args.size:
        h = w = args.size
    names = [L.name for L in f.layers]

    if args.onnx:
        os.makedirs(os.path.dirname(os.path.abspath(args.onnx)), exist_ok=True)
        x = torch.zeros(1, c, h, w)
        if args.cam_layer:
            if args.cam_layer not in names:
                raise SystemExit(f"error: no layer {args.cam_layer!r}")
            net, outs = WithActivation(model, names, args.cam_layer), ["logits", "cam_activation"]
        else:
            net, outs = model, ["logits"]
        with torch.no_grad():
            torch.onnx.export(net, x, args.onnx, input_names=["input"], output_names=outs,
                              opset_version=args.opset, do_constant_folding=True)
        print(f"wrote {args.onnx} ({os.path.getsize(args.onnx)} bytes)")

    if args.raw:
        os.makedirs(os.path.dirname(os.path.abspath(args.raw)), exist_ok=True)
        layers, blobs, off = [], [], 0
        for L in f.layers:
            entry = {"name": L.name, "type": L.type, "args": list(L.args), "tensors": {}}
            for key in csw.LAYER_TENSORS[L.type]:
                arr = np.ascontiguousarray(f.tensors[f"{L.name}.{key}"], dtype="<f4")
                entry["tensors"][key] = [off, list(arr.shape)]
                blobs.append(arr.tobytes())
                off += arr.nbytes
            layers.append(entry)
        classes = [line.split(" ", 1)[1] for line in f.lines if line.startswith("class ")]
        manifest = {"name": info.get("name", ""), "input": [c, h, w],
                    "mean": [float(v) for v in info["mean"].split()],
                    "std": [float(v) for v in info["std"].split()],
                    "classes": classes, "layers": layers}
        with open(args.raw + ".bin", "wb") as fh:
            for b in blobs:
                fh.write(b)
        with open(args.raw + ".json", "w") as fh:
            json.dump(manifest, fh)
        print(f"wrote {args.raw}.json and {args.raw}.bin ({off} bytes)")


if __name__ == "__main__":
    main()
