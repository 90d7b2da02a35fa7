#!/usr/bin/env python3
"""Export a PyTorch classifier to a camscope `.csw` weights file (format: weights/README.md).

  # a state_dict (e.g. tools/train.py's best.pt, or a fine-tuned torchvision model), with the
  # architecture named by --arch:
  /usr/bin/python3 tools/export.py --state build/train/best.pt --arch alexnet_bn_128 \\
      --out weights/catsdogs_int8.csw --dtype int8 --classes cat,dog
  /usr/bin/python3 tools/export.py --state resnet18_pets.pt --arch resnet18 --num-classes 2 \\
      --classes cat,dog --out resnet18_pets.csw
  # a whole pickled model (runs code from the file, so only with --trust-pickle), e.g. the
  # lab's torch_alex.pth (torchvision AlexNet with a 2-output last Linear):
  /usr/bin/python3 tools/export.py --model torch_alex.pth --trust-pickle --out weights/lab.csw
  # random weights (demos, benchmarks): --random-weights SEED --arch resnet18

--arch: torchvision's alexnet, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19,
vgg19_bn, resnet18, resnet34, resnet50, resnet101, squeezenet1_0, squeezenet1_1, mobilenet_v2,
densenet121, densenet169 (--num-classes N, default 1000); alexnet_bn_128 (the shipped
network); alexnet:hidden=H,bn=0|1,head=2|3,classes=K (any tools/model.py AlexNet).

Any model torch.fx can trace whose modules and functions camscope runs is exported as a graph
(format version 2; tools/torch_frontend.py says how nodes are named): Conv2d (groups,
dilation, any padding, with or without bias), BatchNorm2d, ReLU, ReLU6, Hardtanh, MaxPool2d,
AvgPool2d, AdaptiveAvgPool2d, Linear, Dropout, Identity, Flatten, and +, torch.cat(dim=1),
torch.flatten / view(N, -1). A final softmax is removed, a final one-output sigmoid becomes
two classes. Anything else is refused with a message naming the module and the op.
--format 1 writes the old plain-chain format (AlexNet-like chains only).

--dtype: f32 | f16 | int8 (alias i8) for conv and linear weights; biases and BatchNorm
tensors are always f32. After writing, the file is read back and the graph it describes is
run (tools/csw.py run_graph) and checked against the original model's forward pass.
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402
import model as models  # noqa: E402
import torch_frontend  # noqa: E402

TORCHVISION = ("alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
               "resnet18", "resnet34", "resnet50", "resnet101", "squeezenet1_0", "squeezenet1_1",
               "mobilenet_v2", "densenet121", "densenet169")

DTYPE_ALIASES = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16", "int8": "i8", "i8": "i8"}


def parse_arch(arch, num_classes=None):
    """(nn.Module, default class names or None) for an --arch string."""
    if arch in TORCHVISION:
        import torchvision

        return getattr(torchvision.models, arch)(num_classes=num_classes or 1000), None
    if arch == "alexnet_bn_128":
        if num_classes not in (None, 2):
            raise SystemExit("error: alexnet_bn_128 has 2 classes (cat, dog)")
        return models.cats_dogs_model(), ["cat", "dog"]
    if arch.startswith("alexnet:"):
        opts = {"hidden": 4096, "bn": 0, "head": None, "classes": num_classes or 2}
        for item in arch[len("alexnet:"):].split(","):
            k, sep, v = item.partition("=")
            if not sep or k not in opts:
                raise SystemExit(f"error: --arch {arch}: unknown option {item!r} (hidden=, bn=, head=, classes=)")
            try:
                opts[k] = int(v)
            except ValueError:
                raise SystemExit(f"error: --arch {arch}: {k}={v!r} is not an integer") from None
        if opts["bn"] not in (0, 1) or opts["head"] not in (None, 2, 3) or opts["hidden"] < 1 or opts["classes"] < 1:
            raise SystemExit(f"error: --arch {arch}: need bn=0|1, head=2|3, hidden>=1, classes>=1")
        if num_classes is not None and num_classes != opts["classes"]:
            raise SystemExit(f"error: --num-classes {num_classes} contradicts classes={opts['classes']} in --arch")
        m = models.alexnet(num_classes=opts["classes"], batchnorm=bool(opts["bn"]), hidden=opts["hidden"],
                           head_layers=opts["head"])
        return m, None
    raise SystemExit(f"error: unknown --arch {arch!r} ({', '.join(TORCHVISION)}, alexnet_bn_128, "
                     "alexnet:hidden=H,bn=0|1,head=2|3,classes=K)")


def load_state(path):
    """A state_dict from a file, loaded without unpickling code (torch.load weights_only)."""
    try:
        st = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - report any loading problem in one line
        raise SystemExit(
            f"error: cannot load {path} as a state_dict ({type(e).__name__}: {e}). If it is a whole "
            "pickled model, use --model FILE --trust-pickle instead."
        ) from None
    for key in ("model", "state_dict"):
        if isinstance(st, dict) and isinstance(st.get(key), dict):
            st = st[key]
    if not isinstance(st, dict) or not all(torch.is_tensor(v) for v in st.values()):
        raise SystemExit(f"error: {path} does not hold a state_dict of tensors")
    if st and all(k.startswith("module.") for k in st):  # saved from DataParallel
        st = {k[len("module."):]: v for k, v in st.items()}
    return st


def load_pickled_model(path, trust, code=None):
    if not trust:
        raise SystemExit(
            f"error: refusing to load {path}: --model unpickles a whole pickled model, and "
            "unpickling runs arbitrary code stored in the file. Pass --trust-pickle only for a file "
            "you trust, or save its state_dict and use --state with --arch."
        )
    if code:
        # The classes a notebook or script defined (pickled as __main__.Name): run the file
        # that defines them into __main__, so unpickling finds them.
        import runpy

        vars(sys.modules["__main__"]).update(runpy.run_path(code))
    try:
        m = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001
        raise SystemExit(
            f"error: cannot unpickle {path} ({type(e).__name__}: {e}). A model of a custom class "
            "needs that class: pass the file that defines it with --code FILE.py, or export its "
            "state_dict and use --state."
        ) from None
    if isinstance(m, dict):
        raise SystemExit(f"error: {path} holds a dict (a state_dict?), not a model: use --state with --arch")
    if not isinstance(m, torch.nn.Module):
        raise SystemExit(f"error: {path} holds a {type(m).__name__}, not an nn.Module")
    return m.float()


def floats(text, what):
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise SystemExit(f"error: --{what} wants comma-separated numbers, not {text!r}") from None


def check_forward(m, input_shape, seed=0):
    """Confirms that the chain the file describes computes what the model's own forward does."""
    blob, _ = csw.build_csw(m, "f32", input_shape=input_shape)
    rebuilt = csw.model_from_csw(csw.read_csw(blob))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((2,) + tuple(input_shape), generator=g)
    with torch.no_grad():
        want = m(x)
        got = rebuilt(x)
    if want.shape != got.shape:
        raise SystemExit(f"error: the model outputs {tuple(want.shape)}, the described chain {tuple(got.shape)}")
    err = (want - got).abs().max().item()
    tol = 1e-4 * max(1.0, want.abs().max().item())
    if not err <= tol:
        raise SystemExit(
            f"error: the model's forward differs from the layer chain written to the file "
            f"(max |diff| {err:.3g}); its forward is not a plain chain of its modules"
        )
    return err


def check_graph(m, blob, input_shape, final, seed=0):
    """Confirms that the graph written (run by csw.run_graph) computes the model's output; a
    removed final softmax / log-softmax / sigmoid is applied to the graph's logits first."""
    f = csw.read_csw(blob)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((2,) + tuple(input_shape), generator=g)
    with torch.no_grad():
        want = m(x)
        got = csw.run_graph(f, x)
        if final == "softmax":
            got = torch.softmax(got, 1)
        elif final == "log_softmax":
            got = torch.log_softmax(got, 1)
        elif final == "sigmoid":  # two classes -z/2, z/2: softmax gives sigmoid(z)
            got = torch.softmax(got, 1)[:, 1:]
    if want.shape != got.shape:
        raise SystemExit(f"error: the model outputs {tuple(want.shape)}, the written graph {tuple(got.shape)}")
    err = (want - got).abs().max().item()
    tol = 1e-4 * max(1.0, want.abs().max().item())
    if not err <= tol:
        raise SystemExit(f"error: the written graph computes other outputs than the model (max |diff| {err:.3g})")
    return err


def calibration_means(m, folder, count, input_shape, mean, std):
    """Mean input per channel of every Conv2d / Linear over `count` pictures of `folder`
    (searched recursively, sorted), preprocessed like camscope does."""
    from PIL import Image

    from model import preprocess

    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(folder) for f in fs
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        raise SystemExit(f"error: --calibrate {folder}: no pictures")
    step = max(1, len(files) // count)
    files = files[::step][:count]
    sums, hooks = {}, []
    for name, mod in m.named_modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            def hook(_mod, inputs, _out, name=name):
                x = inputs[0].detach().double()
                mu = x.mean(dim=(0, 2, 3)) if x.ndim == 4 else x.mean(dim=0)
                sums[name] = sums.get(name, 0) + mu

            hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        for f in files:
            with Image.open(f) as im:
                x = preprocess(np.array(im.convert("RGB")), size=input_shape[1], mean=mean, std=std)
            m(x)
    for h in hooks:
        h.remove()
    return {k: v / len(files) for k, v in sums.items()}, len(files)


def correct_biases(m, means):
    """int8 bias correction: each Conv2d / Linear bias absorbs the mean output shift that
    rounding its weights causes, b -= sum_(i,ky,kx) (w_q - w)[o, i, ky, kx] * mean_in[i]."""
    with torch.no_grad():
        for name, mod in m.named_modules():
            if name in means and mod.bias is not None:
                w = mod.weight.detach().float().numpy()
                _, _, deq = csw.quantise_i8(w)
                d = torch.from_numpy(deq.astype(np.float64) - w.astype(np.float64))
                shift = d.sum(dim=(2, 3)) @ means[name] if d.ndim == 4 else d @ means[name]
                mod.bias.copy_((mod.bias.double() - shift).to(mod.bias.dtype))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--state", help="state_dict file (.pt), loaded with weights_only=True")
    src.add_argument("--model", help="whole pickled model (.pth); needs --trust-pickle")
    src.add_argument("--random-weights", type=int, metavar="SEED",
                     help="no weights file: --arch with random weights (demos, benchmarks)")
    ap.add_argument("--trust-pickle", action="store_true", help="allow --model to unpickle (runs code from the file)")
    ap.add_argument("--code", metavar="FILE.py",
                    help="with --model: a Python file defining the model's classes (run before unpickling)")
    ap.add_argument("--arch", help="with --state or --random-weights: a torchvision name (resnet18, vgg16_bn, "
                    "...), alexnet_bn_128, or alexnet:hidden=H,bn=0|1,head=2|3,classes=K")
    ap.add_argument("--num-classes", type=int, help="number of classes (torchvision --arch: default 1000)")
    ap.add_argument("--format", type=int, default=2, choices=(1, 2),
                    help="2 (default): a graph, any supported model; 1: the old plain-chain format")
    ap.add_argument("--out", required=True, help="output .csw file")
    ap.add_argument("--dtype", default="f32", choices=sorted(DTYPE_ALIASES), help="conv/linear weight type (default f32)")
    ap.add_argument("--classes", help="comma-separated class names in class-index order")
    ap.add_argument("--name", help="network name (one token; default: the output file's stem)")
    ap.add_argument("--input-size", default="3,224,224", help="C,H,W the page preprocesses to (default 3,224,224)")
    ap.add_argument("--mean", default=",".join(map(str, csw.IMAGENET_MEAN)), help="per-channel mean (default ImageNet)")
    ap.add_argument("--std", default=",".join(map(str, csw.IMAGENET_STD)), help="per-channel std (default ImageNet)")
    ap.add_argument("--no-check", action="store_true", help="skip the forward-pass comparison")
    ap.add_argument("--calibrate", metavar="DIR",
                    help="int8: correct each layer's bias for the mean shift rounding causes, "
                         "measured on pictures from DIR")
    ap.add_argument("--calibrate-count", type=int, default=200, help="pictures used by --calibrate")
    a = ap.parse_args(argv)

    classes = None
    if a.state:
        if not a.arch:
            raise SystemExit("error: --state needs --arch")
        m, classes = parse_arch(a.arch, a.num_classes)
        st = load_state(a.state)
        try:
            m.load_state_dict(st, strict=True)
        except RuntimeError as e:
            raise SystemExit(f"error: {a.state} does not fit --arch {a.arch}:\n{e}") from None
    elif a.random_weights is not None:
        if not a.arch:
            raise SystemExit("error: --random-weights needs --arch")
        torch.manual_seed(a.random_weights)
        m, classes = parse_arch(a.arch, a.num_classes)
    else:
        if a.arch:
            raise SystemExit("error: --arch is for --state; a pickled model brings its own architecture")
        m = load_pickled_model(a.model, a.trust_pickle, a.code)
    m.eval()
    if a.classes:
        classes = [c.strip() for c in a.classes.split(",")]
    input_shape = tuple(int(v) for v in floats(a.input_size, "input-size"))
    name = a.name or os.path.splitext(os.path.basename(a.out))[0]
    dtype = DTYPE_ALIASES[a.dtype]

    if a.calibrate:
        if dtype != "i8":
            raise SystemExit("error: --calibrate is for --dtype int8")
        means, n = calibration_means(m, a.calibrate, a.calibrate_count, input_shape,
                                     floats(a.mean, "mean"), floats(a.std, "std"))
        correct_biases(m, means)
        print(f"bias correction from {n} pictures of {a.calibrate}")
    report = []
    try:
        if a.format == 1:
            if not a.no_check:
                check_forward(m, input_shape)
            blob, summary = csw.build_csw(m, dtype, name=name, classes=classes, input_shape=input_shape,
                                          mean=floats(a.mean, "mean"), std=floats(a.std, "std"))
        else:
            nodes, tensors, report, final = torch_frontend.graph_of(m, input_shape)
            kw = dict(name=name, classes=classes, input_shape=input_shape, mean=floats(a.mean, "mean"),
                      std=floats(a.std, "std"))
            if not a.no_check:
                check_graph(m, csw.build_csw2(nodes, tensors, "f32", **kw)[0], input_shape, final)
            blob, summary = csw.build_csw2(nodes, tensors, dtype, **kw)
        f = csw.read_csw(blob)
    except csw.CswError as e:
        raise SystemExit(f"error: {e}") from None
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "wb") as fh:
        fh.write(blob)

    for line in report:
        print(f"note: {line}")
    print(f"{a.out}: {len(blob)} bytes ({len(blob) / 2**20:.2f} MiB), format {f.version}, name {f.name}, "
          f"input {'x'.join(map(str, f.input))}, {len(f.layers) or len(f.nodes)} layers, "
          f"classes {', '.join(f.classes)}")
    print(f"{'tensor':34} {'dtype':5} {'shape':>20} {'bytes':>10} {'max|err|':>10}")
    totals = {}
    for tname, td, shape, nbytes, err in summary:
        print(f"{tname:34} {td:5} {'x'.join(map(str, shape)):>20} {nbytes:>10} {err:>10.3g}")
        c, b = totals.get(td, (0, 0))
        totals[td] = (c + int(np.prod(shape)), b + nbytes)
    print("totals: " + ", ".join(f"{td}: {c} values, {b} bytes" for td, (c, b) in sorted(totals.items())))


if __name__ == "__main__":
    main()
