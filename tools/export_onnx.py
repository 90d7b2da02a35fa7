#!/usr/bin/env python3
"""Export a camscope `.csw` network to ONNX (and, for TensorFlow.js, to raw float32 weights),
so that other engines run exactly the weights the C++ core runs (int8 files dequantised the
same way: tools/csw.py's read_csw). Both format versions: a version-1 chain becomes an
nn.Sequential (csw.model_from_csw), a version-2 graph is traced through csw.run_graph, the
format's reference semantics, so ONNX holds the same nodes in the same order.

  /usr/bin/python3 tools/export_onnx.py weights/camscope_catsdogs_int8.csw --onnx build/bench/shipped.onnx \\
      --raw build/bench/shipped_raw   # -> shipped_raw.json (layer list, offsets) + shipped_raw.bin

The ONNX graph takes `input` (1, 3, H, W) float32 (the network's input size unless --size)
and returns `logits` (1, classes). With --cam-layer NAME it also returns that layer's
activation as a second output `cam_activation` (for checking activations, not for timing).
--raw writes every tensor as little-endian float32 in PyTorch's layout, plus a JSON manifest
{name, input, mean, std, classes, layers: [{name, type, args, tensors: {key: [offset, shape]}}]}
for a version-1 file, or, for a version-2 file, {version: 2, name, input, mean, std, range,
channels, classes, nodes: [{name, op, inputs, aliases, args, tensors}]} with every argument
of the op given (defaults filled in; k, s, d as [h, w], p as [top, left, bottom, right]).
"""

import argparse
import json
import os
import sys
import warnings

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


class GraphNet(nn.Module):
    """A version-2 graph as a module: csw.run_graph on the file's dequantised tensors (which
    tracing records as constants), returning the logits and, with cam_layer, that node's
    output too."""

    def __init__(self, f, cam_layer=None):
        super().__init__()
        self.f = f
        self.cam_node = None
        if cam_layer is not None:
            hits = [nd.name for nd in f.nodes if cam_layer == nd.name or cam_layer in nd.aliases]
            if not hits:
                raise SystemExit(f"error: no node or alias {cam_layer!r}")
            self.cam_node = hits[0]

    def forward(self, x):
        if self.cam_node is None:
            return csw.run_graph(self.f, x)
        logits, vals = csw.run_graph(self.f, x, keep=True)
        return logits, vals[self.cam_node]


def graph_manifest(f, h, w):
    """(manifest dict, list of float32 blobs) of a version-2 file for --raw."""
    nodes, blobs, off = [], [], 0
    for nd in f.nodes:
        req, opt = csw.NODE_ARGS[nd.op]
        args = {}
        for k in list(req) + list(opt):
            v = nd.arg(k)
            args[k] = list(v) if isinstance(v, tuple) else v
        entry = {"name": nd.name, "op": nd.op, "inputs": list(nd.inputs), "aliases": list(nd.aliases),
                 "args": args, "tensors": {}}
        for key in csw.node_tensor_shapes(nd):
            arr = np.ascontiguousarray(f.tensors[f"{nd.name}.{key}"], dtype="<f4")
            entry["tensors"][key] = [off, list(arr.shape)]
            blobs.append(arr.tobytes())
            off += arr.nbytes
        nodes.append(entry)
    manifest = {"version": 2, "name": f.name, "input": [f.input[0], h, w], "mean": list(f.mean),
                "std": list(f.std), "range": f.pre["range"], "channels": f.pre["channels"],
                "classes": list(f.classes), "nodes": nodes}
    return manifest, blobs


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
    graph = f.version == csw.VERSION2
    model = GraphNet(f).eval() if graph else csw.model_from_csw(f).float().eval()
    c, h, w = f.input
    if args.size:
        h = w = args.size
    names = [L.name for L in f.layers]

    if args.onnx:
        os.makedirs(os.path.dirname(os.path.abspath(args.onnx)), exist_ok=True)
        x = torch.zeros(1, c, h, w)
        if args.cam_layer and graph:
            net, outs = GraphNet(f, args.cam_layer).eval(), ["logits", "cam_activation"]
        elif args.cam_layer:
            if args.cam_layer not in names:
                raise SystemExit(f"error: no layer {args.cam_layer!r}")
            net, outs = WithActivation(model, names, args.cam_layer), ["logits", "cam_activation"]
        else:
            net, outs = model, ["logits"]
        with torch.no_grad(), warnings.catch_warnings():
            # run_graph's tensors are the file's constants: tracing them as constants is meant.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(net, x, args.onnx, input_names=["input"], output_names=outs,
                              opset_version=args.opset, do_constant_folding=True)
        print(f"wrote {args.onnx} ({os.path.getsize(args.onnx)} bytes)")

    if args.raw:
        os.makedirs(os.path.dirname(os.path.abspath(args.raw)), exist_ok=True)
        if graph:
            manifest, blobs = graph_manifest(f, h, w)
            write_raw(args.raw, manifest, blobs)
            return
        layers, blobs, off = [], [], 0
        for L in f.layers:
            entry = {"name": L.name, "type": L.type, "args": list(L.args), "tensors": {}}
            for key in csw.LAYER_TENSORS[L.type]:
                arr = np.ascontiguousarray(f.tensors[f"{L.name}.{key}"], dtype="<f4")
                entry["tensors"][key] = [off, list(arr.shape)]
                blobs.append(arr.tobytes())
                off += arr.nbytes
            layers.append(entry)
        manifest = {"name": f.name, "input": [c, h, w], "mean": list(f.mean), "std": list(f.std),
                    "classes": list(f.classes), "layers": layers}
        write_raw(args.raw, manifest, blobs)


def write_raw(prefix, manifest, blobs):
    """PREFIX.bin (the blobs, in order) and PREFIX.json (the manifest)."""
    with open(prefix + ".bin", "wb") as fh:
        for b in blobs:
            fh.write(b)
    with open(prefix + ".json", "w") as fh:
        json.dump(manifest, fh)
    print(f"wrote {prefix}.json and {prefix}.bin ({sum(len(b) for b in blobs)} bytes)")


if __name__ == "__main__":
    main()
