#!/usr/bin/env python3
"""tools/export.py and tools/torch_frontend.py on models that are not torchvision's: what is
refused (with the module and the op named), what is removed (a final softmax / sigmoid), odd
but supported layers (padding='same', no bias, view(N, -1), ReLU6, Hardtanh, AvgPool2d with
ceil_mode, a module called twice), and a pickled model whose class lives in a script.

    /usr/bin/python3 tests/export_test.py        (exit 0 = all passed)
"""

import os
import subprocess
import sys
import tempfile

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import csw  # noqa: E402
import torch_frontend as tf  # noqa: E402

failures = []


def check(what, cond):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


class Gelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.act = nn.GELU()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.act(self.conv(x)), 1), 1))


class MeanPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


class Odd(nn.Module):
    """Supported but unusual: 'same' padding without bias, grouped and dilated convs, ReLU6,
    Hardtanh, AvgPool2d(ceil_mode, no pad count), a ReLU module used twice, view(N, -1),
    a final softmax."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 4, padding="same", bias=False)
        self.b = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4)
        self.relu = nn.ReLU()
        self.r6 = nn.ReLU6()
        self.ht = nn.Hardtanh(-0.5, 0.75)
        self.pool = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)
        self.mp = nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)
        self.fc = nn.Linear(8 * 6 * 6, 3)

    def forward(self, x):
        y = self.relu(self.a(x))
        y = self.r6(self.b(y)) + self.ht(y)
        y = self.relu(self.mp(self.pool(y)))
        return torch.softmax(self.fc(y.view(y.size(0), -1)), dim=1)


class Binary(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.conv(x), 1), 1)))


def refused(model, shape, needle):
    try:
        tf.graph_of(model.eval(), shape)
    except tf.UnsupportedOp as e:
        return needle in str(e), str(e)
    return False, "accepted"


def main():
    torch.manual_seed(0)
    ok, msg = refused(Gelu(), (3, 16, 16), "module act (GELU)")
    check(f"GELU refused, naming the module and op: {msg}", ok)
    ok, msg = refused(MeanPool(), (3, 16, 16), "mean")
    check(f"x.mean refused, naming the op: {msg}", ok)

    m = Odd().eval()
    nodes, tensors, report, final = tf.graph_of(m, (3, 19, 19))
    check("final softmax removed and reported", final == "softmax" and any("softmax" in r for r in report))
    names = [nd.name for nd in nodes]
    check(f"a module used twice gets '#2' ({', '.join(n for n in names if 'relu' in n)})",
          "relu" in names and "relu#2" in names)
    blob, _ = csw.build_csw2(nodes, tensors, "f32", classes=["x", "y", "z"], input_shape=(3, 19, 19))
    f = csw.read_csw(blob)
    x = torch.randn(2, 3, 19, 19)
    with torch.no_grad():
        err = (torch.softmax(csw.run_graph(f, x), 1) - m(x)).abs().max().item()
    check(f"odd layers: the written graph computes the model (max diff {err:.1e})", err < 1e-6)
    conv_a = next(nd for nd in nodes if nd.name == "a")
    check(f"padding='same' with an even kernel is asymmetric ({conv_a.arg('p')})", conv_a.arg("p") == (1, 1, 2, 2))

    b = Binary().eval()
    nodes, tensors, report, final = tf.graph_of(b, (3, 8, 8))
    blob, _ = csw.build_csw2(nodes, tensors, "f32", input_shape=(3, 8, 8))
    f = csw.read_csw(blob)
    x = torch.randn(4, 3, 8, 8)
    with torch.no_grad():
        z = csw.run_graph(f, x)
        err = (torch.softmax(z, 1)[:, 1:] - b(x)).abs().max().item()
    check(f"a one-output sigmoid becomes two classes -z/2, z/2 (softmax vs sigmoid {err:.1e})",
          final == "sigmoid" and z.shape[1] == 2 and err < 1e-6 and torch.allclose(z[:, 0], -z[:, 1]))

    # export.py end to end on a pickled model whose class is defined in this very file.
    with tempfile.TemporaryDirectory() as tmp:
        pth = os.path.join(tmp, "odd.pth")
        m.__class__.__module__ = "__main__"
        torch.save(m, pth)
        exe = [sys.executable, os.path.join(HERE, "..", "tools", "export.py")]
        out = os.path.join(tmp, "odd.csw")
        r = subprocess.run(exe + ["--model", pth, "--out", out], capture_output=True, text=True)
        check("a pickled model without --trust-pickle is refused", r.returncode != 0 and "trust-pickle" in r.stderr)
        r = subprocess.run(exe + ["--model", pth, "--trust-pickle", "--out", out], capture_output=True, text=True)
        check("a pickled custom class without --code says to pass --code", r.returncode != 0 and "--code" in r.stderr)
        r = subprocess.run(exe + ["--model", pth, "--trust-pickle", "--code", os.path.abspath(__file__),
                                  "--input-size", "3,19,19", "--out", out], capture_output=True, text=True)
        check("with --code it exports, checks and notes the removed softmax",
              r.returncode == 0 and "removed the final softmax" in r.stdout and os.path.exists(out))
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
