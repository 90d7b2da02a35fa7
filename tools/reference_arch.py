#!/usr/bin/env python3
"""Reference data for torchvision's classifiers, made at test time (nothing is committed):
each architecture with random weights (3 classes) is exported through tools/torch_frontend.py
into a version-2 .csw; the original model's named modules (forward hooks) are checked to be
the graph's nodes of those names, and PyTorch -- the graph's ops, float64, autograd --
computes the logits, the activations and the gradients of every raw logit at those layers,
and Grad-CAM / Layer-CAM there. The C++ test (tests/test_arch.cpp) compares
the core to these files, layers found by the same names (module paths, containers included).

  /usr/bin/python3 tools/reference_arch.py --arch resnet18 --out build/arch/resnet18
  /usr/bin/python3 tools/reference_arch.py --list

Deep random networks have ReLU inputs within float32 rounding of zero, and max-pool windows
whose two largest values are that close; a float32 core may decide those the other way than
float64 PyTorch, and one flipped ReLU moves a gradient element by its whole size. So every
node's float64 output is written too (nodes/I.npy): the C++ test checks that its own
decisions differ from these only at such near-ties, then runs its backward pass on them.

Also checked here, before anything is written: the graph the file describes, run by
csw.run_graph, gives the model's own logits (1e-5 relative), so a front-end mistake (a wrong
padding, a missed alias) cannot hide behind a matching C++ result.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402
import model as models  # noqa: E402
import reference  # noqa: E402
import torch_frontend  # noqa: E402

# architecture -> (weight dtype in the file, input side, layers compared: module paths,
# containers too). AlexNet and the VGGs run on 112 x 112 (their adaptive pool takes any
# size): a float64 VGG at 224 takes a minute of the test's time on two cores.
ARCHS = {
    "alexnet": ("i8", 112, ["features.10", "features", "avgpool"]),
    "vgg11": ("f16", 112, ["features.18", "features"]),
    "vgg11_bn": ("f16", 112, ["features.26", "features"]),
    "vgg16": ("f16", 112, ["features.28", "features", "avgpool"]),
    "vgg16_bn": ("f16", 112, ["features.40", "features"]),
    "vgg19": ("f16", 112, ["features.34", "features"]),
    "vgg19_bn": ("f16", 112, ["features.49", "features"]),
    "resnet18": ("f32", 224, ["layer4", "layer3", "layer4.1.conv2", "layer4.0.downsample"]),
    "resnet50": ("f32", 224, ["layer4", "layer3.5", "layer4.2.conv3"]),
    "squeezenet1_1": ("f32", 224, ["features", "features.12.expand3x3", "classifier.1"]),
    "mobilenet_v2": ("f32", 224, ["features", "features.17", "features.14.conv.1"]),
    "densenet121": ("f32", 224, ["features", "features.denseblock4", "features.transition3"]),
    "every_op": ("f32", 61, ["body.relu6", "branch", "skip", "tail.conv", "tail"]),
}

CLASSES = ["a", "b", "c"]
SEED = 8


class EveryOp(torch.nn.Module):
    """Every op option the core has that torchvision's models leave out: 'same' padding with
    an even kernel (asymmetric), no bias, groups, dilation, a depthwise conv with a channel
    multiplier, ReLU6, Hardtanh, AvgPool2d with padding / ceil_mode / count_include_pad off
    and on, MaxPool2d with padding, dilation and ceil_mode, add, concat, a non-square
    adaptive pool, Identity, Dropout and a bias-free Linear."""

    def __init__(self, classes=3):
        nn = torch.nn
        super().__init__()
        self.body = nn.Sequential()
        self.body.add_module("same", nn.Conv2d(3, 8, 4, padding="same", bias=False))
        self.body.add_module("bn", nn.BatchNorm2d(8))
        self.body.add_module("relu6", nn.ReLU6())
        self.branch = nn.Sequential(
            nn.Conv2d(8, 16, 3, stride=2, padding=(2, 1), dilation=(2, 1), groups=4),
            nn.Hardtanh(-0.5, 1.5),
            nn.Conv2d(16, 32, 3, stride=1, padding=1, groups=16),  # depthwise, multiplier 2
            nn.ReLU(),
        )
        self.skip = nn.Sequential(nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
                                  nn.Conv2d(8, 32, 1), nn.Identity())
        self.pool_a = nn.MaxPool2d(3, 2, padding=1, dilation=2, ceil_mode=True)
        self.pool_b = nn.AvgPool2d(5, 2, padding=1, ceil_mode=True, count_include_pad=True)
        self.tail = nn.Sequential()
        self.tail.add_module("conv", nn.Conv2d(64, 24, 3, padding=1))
        self.tail.add_module("relu", nn.ReLU())
        self.tail.add_module("pool", nn.AdaptiveAvgPool2d((3, 5)))
        self.head = nn.Sequential(nn.Dropout(), nn.Linear(24 * 15, classes, bias=False))

    def forward(self, x):
        y = self.body(x)
        merge = self.branch(y) + self.skip(y)
        both = torch.cat([self.pool_a(merge), self.pool_b(merge)], 1)
        return self.head(torch.flatten(self.tail(both), 1))


def build(arch):
    import torchvision

    torch.manual_seed(SEED)
    if arch == "every_op":
        return reference.randomise(EveryOp(len(CLASSES)), SEED)
    return reference.randomise(getattr(torchvision.models, arch)(num_classes=len(CLASSES)), SEED)


def hooked_forward(m, x, layers):
    """float64 logits and, per named module, its output: the hook hands a clone downstream,
    so an in-place op after the module (ResNet's `out += identity`, DenseNet's F.relu(...,
    inplace=True)) cannot overwrite the activation kept here (the lab's in-place trap)."""
    kept, handles = {}, []
    for name in layers:
        mod = m.get_submodule(name)

        def hook(_m, _i, out, name=name):
            kept[name] = out
            return out.clone()

        handles.append(mod.register_forward_hook(hook))
    try:
        logits = m(x)
    finally:
        for h in handles:
            h.remove()
    return logits, kept


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=sorted(ARCHS))
    ap.add_argument("--out")
    ap.add_argument("--list", action="store_true", help="print the architectures and exit")
    a = ap.parse_args(argv)
    if a.list:
        print(" ".join(ARCHS))
        return
    if not a.arch or not a.out:
        ap.error("--arch and --out are needed")
    dtype, side, layers = ARCHS[a.arch]
    m = build(a.arch)
    nodes, tensors, report, _ = torch_frontend.graph_of(m, (3, side, side))
    blob, _ = csw.build_csw2(nodes, tensors, dtype, name=a.arch, classes=CLASSES, input_shape=(3, side, side))
    f = csw.read_csw(blob)
    # The model with exactly the weights the core reads (int8 / f16 dequantised).
    sd = m.state_dict()
    for k, v in f.tensors.items():
        sd[k] = torch.from_numpy(v.copy())
    m.load_state_dict(sd)
    pic = reference.synthetic_picture(257, 301, seed=SEED)
    x32 = models.preprocess(pic, size=side)  # (1, 3, side, side) float32
    # The graph the file describes computes the model's logits, and each named layer of the
    # model (a module's output, hooked) is the node the graph gives that name (float32).
    node_of = {n: nd.name for nd in f.nodes for n in [nd.name] + nd.aliases}
    with torch.no_grad():
        want, kept = hooked_forward(m.eval(), x32, layers)
        got, vals32 = csw.run_graph(f, x32, keep=True)
    err = float((want - got).abs().max() / want.abs().max())
    for name in layers:
        mine, theirs = kept[name].reshape(-1), vals32[node_of[name]].reshape(-1)
        e = float((mine - theirs).abs().max() / mine.abs().max()) if mine.shape == theirs.shape else 1.0
        err = max(err, e)
    if not err < 1e-5:
        raise SystemExit(f"{a.arch}: the exported graph differs from the model ({err:.2e})")
    # The reference: float64, the graph's ops (PyTorch's own functions), PyTorch's autograd.
    x = x32.double().requires_grad_(True)
    logits, vals = csw.run_graph(f, x, keep=True)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "weights.csw"), "wb") as fh:
        fh.write(blob)

    def save(name, arr):
        np.save(os.path.join(a.out, name), np.ascontiguousarray(arr, dtype="<f4"))

    save("input.npy", x32[0].numpy())
    save("logits.npy", logits[0].detach().numpy())
    k = logits.shape[1]
    for name in layers:
        act = vals[node_of[name]]
        grads = [torch.autograd.grad(logits[0, c], act, retain_graph=True)[0][0] for c in range(k)]
        A = act[0].detach().numpy()
        G = torch.stack(grads).detach().numpy()
        save(f"act__{name}.npy", A)
        save(f"grad__{name}.npy", G)
        for method, fn in reference.CAM_FNS.items():
            save(f"cam__{method}__{name}.npy", fn(A, G))
    os.makedirs(os.path.join(a.out, "nodes"), exist_ok=True)
    for i, nd in enumerate(f.nodes):
        save(os.path.join("nodes", f"{i}.npy"), vals[nd.name][0].detach().numpy())
    meta = {"arch": a.arch, "dtype": dtype, "layers": layers, "classes": CLASSES, "seed": SEED,
            "graph_vs_model": err, "nodes": len(nodes), "report": report, "input": list(x32.shape[1:])}
    with open(os.path.join(a.out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    with open(os.path.join(a.out, "layers.txt"), "w") as fh:  # for the C++ test
        fh.write("\n".join(layers) + "\n")
    print(f"{a.arch}: {len(nodes)} nodes, {len(blob) >> 20} MiB, graph vs model {err:.1e}, layers {', '.join(layers)}")


if __name__ == "__main__":
    main()
