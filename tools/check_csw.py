#!/usr/bin/env python3
"""Self-test of tools/csw.py, tools/export.py and the golden files of tools/reference.py.

  /usr/bin/python3 tools/check_csw.py [--golden tests/golden]

Writes every dtype, reads it back, checks the layout, the CRC and the round trip (f32 exact,
f16 within 1e-3 relative, int8 within scale/2), the int8 zero-row rule, that corrupt files
and undescribable modules are refused, that export.py works and refuses an untrusted
pickle, and that networks rebuilt from the golden weights files reproduce the golden
logits, activations, gradients and maps (checked with hooks on the original PyTorch model).
"""

import argparse
import contextlib
import io
import json
import os
import struct
import sys
import tempfile
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402
import export  # noqa: E402
import model as models  # noqa: E402

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def refused(fn, needle):
    try:
        fn()
    except csw.CswError as e:
        return needle in str(e)
    return False


def small_model():
    torch.manual_seed(0)
    m = nn.Sequential()
    m.add_module("features", nn.Sequential(nn.Conv2d(3, 5, 3, stride=2, padding=1), nn.BatchNorm2d(5), nn.ReLU(True),
                                           nn.MaxPool2d(2), nn.Conv2d(5, 7, 3, padding=1), nn.ReLU()))
    m.add_module("avgpool", nn.AdaptiveAvgPool2d((3, 2)))
    m.add_module("flatten", nn.Flatten())
    m.add_module("classifier", nn.Sequential(nn.Dropout(), nn.Linear(42, 9), nn.ReLU(), nn.Linear(9, 3)))
    with torch.no_grad():
        m.features[1].running_mean.normal_()
        m.features[1].running_var.uniform_(0.5, 2)
        m.classifier[1].weight[4].zero_()  # a zero row
        m.classifier[1].weight[5].fill_(1e-46)  # float32 subnormal: max/127 underflows to 0
        m.classifier[1].weight[6, :3] = torch.tensor([1e-6, -2e-8, 7e-5])  # f16 subnormal / zero range
    return m.eval()


def check_layout(blob, f, label):
    ver, desc_size, data_size, crc, res = struct.unpack_from("<IIQII", blob, 8)
    check(blob[:8] == b"CAMSCOPE" and ver == 1 and res == 0, f"{label}: magic, version 1, reserved 0")
    check(crc == zlib.crc32(blob[32:]) & 0xFFFFFFFF, f"{label}: CRC-32 over everything after the header")
    start = 32 + desc_size + (-(32 + desc_size) % 16)
    check(start % 16 == 0 and start == f.data_start and len(blob) == start + data_size,
          f"{label}: data section 16-aligned, file ends at data_start + data_size")
    check(blob[32 + desc_size:start] == b"\0" * (start - 32 - desc_size), f"{label}: zero padding")
    check(all(off % 4 == 0 for off, _ in f.offsets.values()), f"{label}: tensor offsets are multiples of 4")
    check(f.lines[0] == "camscope 1" and blob[32:32 + desc_size].endswith(b"\n"), f"{label}: description starts 'camscope 1'")


def check_roundtrip(m, label, input_shape=(3, 224, 224)):
    sd = {k: v.detach().float().numpy() for k, v in m.state_dict().items()}
    for dtype in csw.DTYPES:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.csw")
            csw.write_csw(path, m, dtype, input_shape=input_shape)
            blob = open(path, "rb").read()
            f = csw.read_csw(path)
        check_layout(blob, f, f"{label} {dtype}")
        ok = {"exact": True, "f16": True, "i8": True, "types": True}
        for name, arr in f.tensors.items():
            w = sd[name]
            td = f.dtypes[name]
            quantisable = name.endswith(".weight") and w.ndim in (2, 4)
            ok["types"] &= td == (dtype if quantisable else "f32")
            if td == "f32":
                ok["exact"] &= np.array_equal(arr, w)
            elif td == "f16":
                ok["f16"] &= bool(np.all(np.abs(arr - w) <= 1e-3 * np.abs(w) + 2.0 ** -25))
            else:
                scale = f.scales[name].astype(np.float64).reshape((-1,) + (1,) * (w.ndim - 1))
                # scale/2 from rounding to an integer, plus the float32 rounding of q * scale
                ok["i8"] &= bool(np.all(np.abs(arr.astype(np.float64) - w) <= scale / 2 + np.abs(arr) * 2.0 ** -24))
                ok["i8"] &= bool(np.all(f.scales[name] > 0))
        check(ok["types"], f"{label} {dtype}: conv/linear weights {dtype}, everything else f32")
        check(ok["exact"], f"{label} {dtype}: f32 tensors exact")
        if dtype == "f16":
            check(ok["f16"], f"{label} f16: within 1e-3 relative")
        if dtype == "i8":
            check(ok["i8"], f"{label} i8: within scale/2, scales > 0")
        dq = csw.dequantised_state_dict(m, dtype, input_shape=input_shape)
        check(all(np.array_equal(dq[k].numpy(), v) for k, v in f.tensors.items() if k in dq),
              f"{label} {dtype}: dequantised_state_dict equals what read_csw returns")
        rebuilt = csw.model_from_csw(f)
        x = torch.randn((2,) + tuple(input_shape), generator=torch.Generator().manual_seed(5))
        m2 = __import__("copy").deepcopy(m)
        m2.load_state_dict(dq)
        with torch.no_grad():
            d = (rebuilt(x) - m2.eval()(x)).abs().max().item()
        check(d < 1e-5, f"{label} {dtype}: rebuilt network == model with dequantised weights (max diff {d:.2g})")


def check_zero_rows():
    m = small_model()
    f = csw.read_csw(csw.build_csw(m, "i8", input_shape=(3, 16, 16))[0])
    w = f.tensors["classifier.1.weight"]
    s = f.scales["classifier.1.weight"]
    check(s[4] == 1.0 and s[5] == 1.0 and np.all(w[4] == 0) and np.all(w[5] == 0),
          "i8: zero row and underflowing row get scale 1.0 and read back as exact zeros")
    f16 = csw.read_csw(csw.build_csw(m, "f16", input_shape=(3, 16, 16))[0])
    v = f16.tensors["classifier.1.weight"][6, :3]
    check(abs(v[0] - 1e-6) < 3e-8 and v[1] == 0 and abs(v[2] - 7e-5) < 7e-8, "f16: subnormal values round-trip")


def check_refusals():
    def build(seq, shape=(3, 8, 8)):
        return lambda: csw.build_csw(seq, "f32", input_shape=shape)

    check(refused(build(nn.Sequential(nn.Conv2d(3, 4, (3, 5)), nn.Flatten(), nn.Linear(4 * 6 * 4, 2))), "non-square kernel"),
          "refuses non-square kernels")
    check(refused(build(nn.Sequential(nn.Conv2d(3, 4, 3, dilation=2))), "dilat"), "refuses dilation")
    check(refused(build(nn.Sequential(nn.Conv2d(3, 6, 3, groups=3))), "groups"), "refuses groups")
    check(refused(build(nn.Sequential(nn.Conv2d(3, 4, 3, bias=False))), "without bias"), "refuses conv without bias")
    check(refused(build(nn.Sequential(nn.Conv2d(3, 4, 3, stride=(1, 2)))), "non-square stride"), "refuses non-square stride")
    check(refused(build(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Sigmoid())), "cannot be described"), "refuses unknown modules")
    check(refused(build(nn.Sequential(nn.Flatten(), nn.Linear(192, 2, bias=False))), "without bias"), "refuses linear without bias")
    check(refused(build(nn.Sequential(nn.MaxPool2d(3, 2, padding=1))), "padding"), "refuses max-pool padding")
    check(refused(build(nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True))), "ceil_mode"), "refuses max-pool ceil_mode")
    check(refused(build(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear(6, 2))), "flatten"), "refuses linear on a C x H x W input")

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(3, 3, 3)

        def forward(self, x):
            return x + self.c(x)

    check(refused(build(nn.Sequential(Block())), "submodules"), "refuses custom containers")
    m = small_model()
    blob, _ = csw.build_csw(m, "i8", input_shape=(3, 16, 16))
    bad = bytearray(blob)
    bad[-5] ^= 1
    check(refused(lambda: csw.read_csw(bytes(bad)), "checksum"), "refuses a corrupted byte (checksum)")
    check(refused(lambda: csw.read_csw(blob[:-4]), "data section"), "refuses a truncated file")
    check(refused(lambda: csw.read_csw(b"NOTCAMSC" + blob[8:]), "magic"), "refuses a bad magic")
    check(refused(lambda: csw.build_csw(m, "i8", classes=["a", "b"], input_shape=(3, 16, 16)), "class names"),
          "refuses a class count that differs from the outputs")


def check_export():
    with tempfile.TemporaryDirectory() as tmp:
        st = os.path.join(tmp, "bn.pt")
        m = models.cats_dogs_model()
        torch.save(m.state_dict(), st)
        out = os.path.join(tmp, "bn.csw")
        with contextlib.redirect_stdout(io.StringIO()) as s:
            export.main(["--state", st, "--arch", "alexnet_bn_128", "--out", out, "--dtype", "int8"])
        f = csw.read_csw(out)
        check(f.classes == ["cat", "dog"] and f.dtypes["features.0.weight"] == "i8" and "totals" in s.getvalue(),
              "export.py --state --arch alexnet_bn_128 --dtype int8")
        import torchvision

        tv = torchvision.models.alexnet(num_classes=3)
        st = os.path.join(tmp, "tv.pt")
        torch.save(tv.state_dict(), st)
        with contextlib.redirect_stdout(io.StringIO()):
            export.main(["--state", st, "--arch", "alexnet", "--num-classes", "3", "--out", out, "--dtype", "f16",
                         "--classes", "a,b c,d", "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25"])
        f = csw.read_csw(out)
        names = [nd.name for nd in f.nodes]
        check(f.version == 2 and names[names.index("avgpool") + 1] == "flatten" and f.classes == ["a", "b c", "d"]
              and f.mean == [0.5] * 3, "export.py --arch alexnet: a graph, flatten node, classes and mean/std written")
        with contextlib.redirect_stdout(io.StringIO()):
            export.main(["--state", st, "--arch", "alexnet", "--num-classes", "3", "--out", out, "--format", "1"])
        names = [L.name for L in csw.read_csw(out).layers]
        check(names[names.index("avgpool") + 1] == "flatten", "export.py --format 1 --arch alexnet: flatten layer inserted")
        g = models.alexnet(hidden=64, head_layers=3, batchnorm=True, num_classes=4)
        st = os.path.join(tmp, "g.pt")
        torch.save({"model": g.state_dict()}, st)
        with contextlib.redirect_stdout(io.StringIO()):
            export.main(["--state", st, "--arch", "alexnet:hidden=64,bn=1,head=3,classes=4", "--out", out])
        check(len(csw.read_csw(out).classes) == 4, "export.py generic --arch alexnet:hidden=64,bn=1,head=3,classes=4")
        pth = os.path.join(tmp, "whole.pth")
        torch.save(tv, pth)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                export.main(["--model", pth, "--out", out])
            msg = ""
        except SystemExit as e:
            msg = str(e)
        check("arbitrary code" in msg and "--trust-pickle" in msg, "export.py refuses --model without --trust-pickle")
        with contextlib.redirect_stdout(io.StringIO()):
            export.main(["--model", pth, "--trust-pickle", "--out", out, "--dtype", "i8"])
        check(csw.read_csw(out).dtypes["classifier.6.weight"] == "i8", "export.py --model --trust-pickle")


def check_head_layers():
    m3 = models.alexnet(hidden=256, head_layers=3)
    m2 = models.alexnet(hidden=256)
    tv = models.alexnet()
    check([type(x).__name__ for x in m3.classifier] == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear"]
          and len(m2.classifier) == 5 and len(tv.classifier) == 7 and m3.classifier[4].in_features == 256,
          "model.alexnet head_layers: 3 -> classifier.0..6 at width 256, default rule unchanged")


def hooked(net, x, k):
    """Independent reference: the original PyTorch module tree (ReLU made not-in-place), forward
    hooks capture outputs, one backward per class."""
    for mod in net.modules():
        if isinstance(mod, nn.ReLU):
            mod.inplace = False
    acts = {}
    chain = csw.layer_chain(net)
    handles = []
    for name, mod in chain:
        def hook(_m, _i, o, name=name):
            o.retain_grad()
            acts[name] = o
        handles.append(mod.register_forward_hook(hook))
    out = {}
    grads = {}
    for c in range(k):
        acts.clear()
        xin = torch.from_numpy(x)[None].double()
        logits = net(xin)
        net.zero_grad()
        logits[0, c].backward()
        for name, t in acts.items():
            grads.setdefault(name, []).append(t.grad[0].numpy().copy())
            out[name] = t[0].detach().numpy().copy()
        out["__logits__"] = logits[0].detach().numpy()
    for h in handles:
        h.remove()
    return out, {n: np.stack(g) for n, g in grads.items()}


def close(a, b, rtol=2e-4):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return a.shape == b.shape and float(np.abs(a - b).max()) <= rtol * max(1e-6, float(np.abs(b).max()))


def check_golden(root):
    archs = {"alexnet": lambda: models.alexnet(num_classes=2, hidden=256, head_layers=3),
             "alexnet_bn": models.cats_dogs_model,
             "tv_alexnet": lambda: __import__("torchvision").models.alexnet(num_classes=2)}  # --live only
    for case, build in archs.items():
        d = os.path.join(root, case)
        if not os.path.isdir(d):
            print(f"skip {d} (not generated)")
            continue
        meta = json.load(open(os.path.join(d, "meta.json")))
        f = csw.read_csw(os.path.join(d, "weights.csw"))
        rebuilt = csw.model_from_csw(f)
        orig = build().eval()
        orig.load_state_dict({k: torch.from_numpy(v) for k, v in f.tensors.items()}, strict=False)
        sd = orig.state_dict()
        check(all(torch.equal(sd[k], torch.from_numpy(v)) for k, v in f.tensors.items()),
              f"{case}: original architecture loads the dequantised weights")
        for sub in ("", "in193"):
            dd = os.path.join(d, sub)
            label = f"{case}/{sub}" if sub else case
            x = np.load(os.path.join(dd, "input.npy"))
            check(x.dtype == np.dtype("<f4") and x.flags.c_contiguous, f"{label}: input.npy is '<f4' C order")
            with torch.no_grad():
                l32 = rebuilt(torch.from_numpy(x)[None])[0].numpy()
                lo32 = orig(torch.from_numpy(x)[None])[0].numpy()
            want = np.load(os.path.join(dd, "logits.npy"))
            check(close(l32, want, 1e-4) and close(lo32, want, 1e-4),
                  f"{label}: float32 rebuilt and original networks reproduce logits.npy ({want.round(4).tolist()})")
            p = np.exp(want - want.max())
            check(close(p / p.sum(), np.load(os.path.join(dd, "probs.npy")), 1e-6), f"{label}: probs.npy = softmax(logits)")
            net64 = build().eval()
            net64.load_state_dict(orig.state_dict())
            acts, grads = hooked(net64.double(), x, len(f.classes))
            names = [L["name"] for L in meta["layers"]] if not sub else [L["name"] for L in json.load(open(os.path.join(dd, "meta.json")))["layers"]]
            all_names = names
            # (in193 holds only the layers from the last conv on)
            names = [n for n in names if os.path.exists(os.path.join(dd, f"act__{n}.npy"))]
            bad_a = [n for n in names if n != "flatten" and not close(acts[n], np.load(os.path.join(dd, f"act__{n}.npy")), 1e-6)]
            check(not bad_a, f"{label}: act__* match the hooked original model {bad_a[:3]}")
            gnames = [n for n in names[3:] if n != "flatten"]
            bad_g = [n for n in gnames if not close(grads[n], np.load(os.path.join(dd, f"grad__{n}.npy")), 1e-6)]
            check(not bad_g, f"{label}: grad__* match per-class backward passes on the original model {bad_g[:3]}")
            if case == "alexnet" and not sub:
                a10 = np.load(os.path.join(dd, "act__features.10.npy"))
                check(a10.min() < 0, "alexnet: act__features.10 (conv) is pre-ReLU (has negative values)")
            m = json.load(open(os.path.join(dd, "meta.json")))
            for lname in m["cam_layers"]:
                a = np.load(os.path.join(dd, f"act__{lname}.npy")).astype(np.float64)
                g = np.load(os.path.join(dd, f"grad__{lname}.npy")).astype(np.float64)
                gc = np.maximum(np.einsum("kchw,chw->khw", np.broadcast_to(g.mean(axis=(2, 3), keepdims=True), g.shape), a), 0)
                lc = np.maximum((np.maximum(g, 0) * a).sum(1), 0)
                ok = close(gc, np.load(os.path.join(dd, f"cam__gradcam__{lname}.npy")), 1e-5) and \
                    close(lc, np.load(os.path.join(dd, f"cam__layercam__{lname}.npy")), 1e-5)
                if not ok:
                    break
            check(ok, f"{label}: cam__gradcam/layercam recomputed from act/grad files")
            lc = m["last_conv"]
            for method in ("gradcam", "layercam"):
                cam = torch.from_numpy(np.load(os.path.join(dd, f"cam__{method}__{lc}.npy")))[:, None]
                up = F.interpolate(cam, size=tuple(m["up_size"]), mode="bilinear", align_corners=False)[:, 0].numpy()
                check(close(up, np.load(os.path.join(dd, f"up__{method}__{lc}.npy")), 1e-5), f"{label}: up__{method}__{lc}")
                if m["uppic_size"]:
                    up = F.interpolate(cam, size=tuple(m["uppic_size"]), mode="bilinear", align_corners=False)[:, 0].numpy()
                    check(close(up, np.load(os.path.join(dd, f"uppic__{method}__{lc}.npy")), 1e-5), f"{label}: uppic__{method}__{lc}")
            if not sub:
                pic = np.load(os.path.join(dd, "picture.npy"))
                check(pic.dtype == np.uint8 and pic.shape == (257, 301, 3) and
                      np.array_equal(models.preprocess(pic)[0].numpy(), x), f"{label}: input.npy = preprocess(picture.npy)")
            if sub:
                check(tuple(json.load(open(os.path.join(dd, "meta.json")))["layers"][all_names.index("avgpool") - 1]["shape"][1:]) == (5, 5),
                      f"{label}: features end at 5 x 5")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--golden", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
    a = ap.parse_args()
    check_head_layers()
    check_roundtrip(small_model(), "small", (3, 16, 16))
    check_roundtrip(models.cats_dogs_model().eval(), "alexnet_bn_128")
    import torchvision

    check_roundtrip(torchvision.models.alexnet(num_classes=2).eval(), "torchvision alexnet")
    check_zero_rows()
    check_refusals()
    check_export()
    check_golden(a.golden)
    print(f"{len(FAILS)} failure(s)" if FAILS else "all checks passed")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
