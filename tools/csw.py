"""Reading and writing camscope `.csw` weights files (format: weights/README.md).

    write_csw(path, model, dtype, name=..., classes=[...])   # dtype: "f32", "f16", "i8"
    f = read_csw(path)            # f.lines, f.layers, f.tensors (dequantised float32 numpy)
    sd = dequantised_state_dict(model, dtype)   # the weights exactly as the C++ core sees them
    net = model_from_csw(f)       # nn.Sequential with PyTorch's module names, float32

`model` is an nn.Sequential (nested Sequentials allowed, e.g. tools/model.py's networks) or a
torchvision-AlexNet-like module whose only children are features, avgpool, classifier (its
forward flattens between avgpool and classifier; `layer flatten flatten` is written for it).
Anything the format cannot describe is refused with a CswError that names the module.

Self-test: /usr/bin/python3 tools/check_csw.py
"""

import math
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

MAGIC = b"CAMSCOPE"
VERSION = 1
HEADER_SIZE = 32
MAX_DESC = 1 << 20
DTYPES = ("f32", "f16", "i8")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Layer types and the tensors each one owns, in the order they are written.
LAYER_TENSORS = {
    "conv": ("weight", "bias"),
    "batchnorm": ("weight", "bias", "running_mean", "running_var"),
    "relu": (),
    "dropout": (),
    "flatten": (),
    "maxpool": (),
    "adaptiveavgpool": (),
    "linear": ("weight", "bias"),
}
# Tensors that may be quantised (f16 / i8); everything else is always f32.
QUANTISABLE = {("conv", "weight"), ("linear", "weight")}


class CswError(ValueError):
    """A model the format cannot describe, or a malformed / inconsistent weights file."""


@dataclass
class LayerSpec:
    """One `layer` statement: name, type, integer/float arguments."""

    name: str
    type: str
    args: tuple = ()

    def line(self):
        return " ".join(["layer", self.name, self.type] + [_num(a) for a in self.args])


@dataclass
class CswFile:
    """A parsed weights file; tensors are dequantised float32 numpy arrays."""

    version: int
    crc: int
    desc_size: int
    data_start: int
    data_size: int
    lines: list
    name: str
    input: tuple
    mean: list
    std: list
    classes: list
    layers: list  # of LayerSpec
    tensors: "OrderedDict[str, np.ndarray]" = field(default_factory=OrderedDict)
    dtypes: dict = field(default_factory=dict)  # tensor name -> "f32" | "f16" | "i8"
    offsets: dict = field(default_factory=dict)  # tensor name -> (offset, nbytes) in data
    scales: dict = field(default_factory=dict)  # i8 tensors: name -> float32 scales
    nodes: list = field(default_factory=list)  # version 2: NodeSpec list
    pre: dict = field(default_factory=dict)  # version 2: range, channels, resize


def _num(x):
    """Shortest text for a number in the description (ints as ints, floats by repr)."""
    if isinstance(x, (bool, np.bool_)):
        raise CswError(f"not a number: {x!r}")
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        raise CswError(f"non-finite number {x!r} in the description")
    return repr(x)


def _pair(v, what, module_name):
    """A square (a, a) kernel/stride/padding as one int, else CswError."""
    if isinstance(v, int):
        return v
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(i, int) for i in v):
        if v[0] != v[1]:
            raise CswError(f"{module_name}: non-square {what} {tuple(v)} cannot be described")
        return v[0]
    raise CswError(f"{module_name}: unsupported {what} {v!r}")


# --------------------------------------------------------------------------------------
# Model -> layer chain


def _leaves(seq, prefix):
    """(name, module) of the leaves of a (nested) nn.Sequential, in execution order."""
    out = []
    for n, child in seq.named_children():
        full = prefix + n
        if isinstance(child, nn.Sequential):
            out += _leaves(child, full + ".")
        elif any(True for _ in child.children()):
            raise CswError(
                f"{full}: cannot describe a {type(child).__name__} with submodules "
                "(only nn.Sequential containers are understood)"
            )
        else:
            out.append((full, child))
    return out


def layer_chain(model):
    """The model as a plain chain of (PyTorch module name, leaf module), execution order.

    For a torchvision-style AlexNet (children features, avgpool, classifier and a forward
    that flattens itself) a synthetic ("flatten", nn.Flatten(1)) is inserted.
    """
    if isinstance(model, nn.Sequential):
        chain = _leaves(model, "")
    else:
        names = [n for n, _ in model.named_children()]
        if names not in (["features", "avgpool", "classifier"], ["features", "avgpool", "flatten", "classifier"]):
            raise CswError(
                f"cannot describe a {type(model).__name__} with children {names}: expected an "
                "nn.Sequential, or an AlexNet-like module with children features, avgpool, classifier"
            )
        chain = []
        for n in names:
            child = getattr(model, n)
            if isinstance(child, nn.Sequential):
                chain += _leaves(child, n + ".")
            elif any(True for _ in child.children()):
                raise CswError(f"{n}: cannot describe a {type(child).__name__} with submodules")
            else:
                chain.append((n, child))
            if n == "avgpool" and "flatten" not in names:
                chain.append(("flatten", nn.Flatten(1)))
    if not chain:
        raise CswError("the model has no layers")
    for n, _ in chain:
        if not n or any(c.isspace() for c in n):
            raise CswError(f"layer name {n!r} is empty or contains whitespace")
    return chain


def describe_module(name, m):
    """LayerSpec of one leaf module, or CswError saying why it cannot be described."""
    if isinstance(m, nn.Conv2d):
        if m.groups != 1:
            raise CswError(f"{name}: grouped convolution (groups={m.groups}) cannot be described")
        if _pair(m.dilation, "dilation", name) != 1:
            raise CswError(f"{name}: dilated convolution (dilation={m.dilation}) cannot be described")
        if m.padding_mode != "zeros":
            raise CswError(f"{name}: padding_mode {m.padding_mode!r} cannot be described (zeros only)")
        if isinstance(m.padding, str):
            raise CswError(f"{name}: string padding {m.padding!r} cannot be described; use an integer")
        if m.bias is None:
            raise CswError(f"{name}: convolution without bias cannot be described")
        if getattr(m, "transposed", False):
            raise CswError(f"{name}: transposed convolution cannot be described")
        k = _pair(m.kernel_size, "kernel", name)
        s = _pair(m.stride, "stride", name)
        p = _pair(m.padding, "padding", name)
        return LayerSpec(name, "conv", (m.in_channels, m.out_channels, k, s, p))
    if isinstance(m, nn.BatchNorm2d):
        if m.running_mean is None or m.running_var is None:
            raise CswError(f"{name}: BatchNorm2d without running statistics cannot be described")
        return LayerSpec(name, "batchnorm", (m.num_features, float(m.eps)))
    if type(m) is nn.ReLU:
        return LayerSpec(name, "relu")
    if type(m) is nn.Dropout:
        return LayerSpec(name, "dropout")
    if type(m) is nn.Flatten:
        if m.start_dim != 1 or m.end_dim != -1:
            raise CswError(f"{name}: Flatten({m.start_dim}, {m.end_dim}) cannot be described (only Flatten(1, -1))")
        return LayerSpec(name, "flatten")
    if type(m) is nn.MaxPool2d:
        k = _pair(m.kernel_size, "kernel", name)
        s = _pair(m.stride if m.stride is not None else m.kernel_size, "stride", name)
        if _pair(m.padding, "padding", name) != 0:
            raise CswError(f"{name}: max-pool padding {m.padding} cannot be described")
        if _pair(m.dilation, "dilation", name) != 1:
            raise CswError(f"{name}: max-pool dilation {m.dilation} cannot be described")
        if m.ceil_mode:
            raise CswError(f"{name}: max-pool ceil_mode cannot be described")
        if m.return_indices:
            raise CswError(f"{name}: max-pool return_indices cannot be described")
        return LayerSpec(name, "maxpool", (k, s))
    if type(m) is nn.AdaptiveAvgPool2d:
        o = m.output_size
        if isinstance(o, int):
            o = (o, o)
        if not (isinstance(o, (tuple, list)) and len(o) == 2 and all(isinstance(i, int) and i > 0 for i in o)):
            raise CswError(f"{name}: AdaptiveAvgPool2d output size {m.output_size!r} cannot be described")
        return LayerSpec(name, "adaptiveavgpool", (o[0], o[1]))
    if isinstance(m, nn.Linear):
        if m.bias is None:
            raise CswError(f"{name}: Linear without bias cannot be described")
        return LayerSpec(name, "linear", (m.in_features, m.out_features))
    raise CswError(f"{name}: module type {type(m).__module__}.{type(m).__name__} cannot be described")


def layer_shapes(layers, input_shape):
    """Output shape of every layer: (C, H, W) tuples for spatial layers, (N,) for flat ones.

    Mirrors the C++ Net::shapes; raises CswError naming the first layer that cannot take its input.
    """
    shape = tuple(int(d) for d in input_shape)
    out = []
    for L in layers:
        a = L.args
        spatial = len(shape) == 3
        if L.type in ("conv", "batchnorm", "maxpool", "adaptiveavgpool", "flatten") and not spatial:
            raise CswError(f"{L.name}: {L.type} needs a C x H x W input, gets {shape}")
        if L.type == "conv":
            cin, cout, k, s, p = a
            if shape[0] != cin:
                raise CswError(f"{L.name}: conv expects {cin} input channels, gets {shape[0]}")
            h = (shape[1] + 2 * p - k) // s + 1
            w = (shape[2] + 2 * p - k) // s + 1
            if shape[1] + 2 * p < k or shape[2] + 2 * p < k:
                raise CswError(f"{L.name}: input {shape} smaller than the kernel {k}")
            shape = (cout, h, w)
        elif L.type == "batchnorm":
            if shape[0] != a[0]:
                raise CswError(f"{L.name}: batchnorm of {a[0]} channels gets {shape[0]}")
        elif L.type == "maxpool":
            k, s = a
            if shape[1] < k or shape[2] < k:
                raise CswError(f"{L.name}: input {shape} smaller than the pool {k}")
            shape = (shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1)
        elif L.type == "adaptiveavgpool":
            shape = (shape[0], a[0], a[1])
        elif L.type == "flatten":
            shape = (shape[0] * shape[1] * shape[2],)
        elif L.type == "linear":
            if spatial:
                raise CswError(f"{L.name}: linear after a C x H x W output needs a flatten layer first")
            if shape[0] != a[0]:
                raise CswError(f"{L.name}: linear expects {a[0]} inputs, gets {shape[0]}")
            shape = (a[1],)
        elif L.type not in ("relu", "dropout"):
            raise CswError(f"{L.name}: unknown layer type {L.type!r}")
        out.append(shape)
    return out


# --------------------------------------------------------------------------------------
# Quantisation


def quantise_i8(w):
    """Symmetric per-output-channel int8: (q int8 array, float32 scales, dequantised float32).

    scale[r] = float32(max|w[r]| / 127); q = clip(round_half_even(w / scale), -127, 127).
    A row whose scale would be 0 in float32 (an all-zero row, or one so tiny that max/127
    underflows) gets scale 1.0: every value then rounds to q = 0, so it dequantises to
    exact zeros. Dequantised value = float32(float32(q) * scale), as the C++ computes it.
    """
    w = np.asarray(w, dtype=np.float32)
    rows = w.reshape(w.shape[0], -1).astype(np.float64)
    amax = np.abs(rows).max(axis=1) if rows.shape[1] else np.zeros(rows.shape[0])
    scale = (amax / 127.0).astype(np.float32)
    scale[scale == 0] = np.float32(1.0)
    q = np.clip(np.rint(rows / scale.astype(np.float64)[:, None]), -127, 127).astype(np.int8)
    deq = (q.astype(np.float32) * scale[:, None]).astype(np.float32)
    return q.reshape(w.shape), scale, deq.reshape(w.shape)


def quantise(w, dtype):
    """(encoded bytes, dequantised float32 array, scales or None) of one tensor."""
    w = np.ascontiguousarray(np.asarray(w, dtype=np.float32))
    if not np.all(np.isfinite(w)):
        raise CswError("non-finite value in a tensor")
    if dtype == "f32":
        return w.astype("<f4").tobytes(), w.copy(), None
    if dtype == "f16":
        h = w.astype("<f2")
        if not np.all(np.isfinite(h)):
            raise CswError("value outside float16's range (|w| > 65504); use f32 or i8")
        return h.tobytes(), h.astype(np.float32), None
    if dtype == "i8":
        if w.ndim < 1 or w.shape[0] == 0:
            raise CswError("i8 needs at least one output channel")
        q, scale, deq = quantise_i8(w)
        body = q.tobytes()
        body += b"\0" * (-len(body) % 4)
        return body + scale.astype("<f4").tobytes(), deq, scale
    raise CswError(f"unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")


def _tensor_dtype(layer_type, key, dtype):
    return dtype if (layer_type, key) in QUANTISABLE else "f32"


def _module_tensors(L, m):
    """numpy float32 arrays of one layer's tensors, keyed by suffix, in writing order."""
    out = OrderedDict()
    if L.type == "batchnorm" and not m.affine:
        extra = {"weight": torch.ones(L.args[0]), "bias": torch.zeros(L.args[0])}
    else:
        extra = {}
    for key in LAYER_TENSORS[L.type]:
        t = extra[key] if key in extra else getattr(m, key)
        out[key] = t.detach().to("cpu", torch.float32).contiguous().numpy()
    return out


# --------------------------------------------------------------------------------------
# Writing


def _check_text(s, what, allow_spaces):
    if not isinstance(s, str) or not s:
        raise CswError(f"{what} must be a non-empty string")
    if s != s.strip() or "  " in s or any(ord(c) < 0x20 or ord(c) == 0x7F for c in s):
        raise CswError(f"{what} {s!r}: no control characters, leading/trailing or double spaces")
    if not allow_spaces and " " in s:
        raise CswError(f"{what} {s!r} must be one token (no spaces)")


def _check_header(name, classes, k, last, input_shape, mean, std):
    """(classes, mean, std) checked against k outputs of node `last` and the input's channels."""
    if classes is None:
        classes = [f"class{i}" for i in range(k)]
    classes = list(classes)
    if len(classes) != k:
        raise CswError(f"{len(classes)} class names for {k} outputs of {last}")
    _check_text(name, "network name", allow_spaces=False)
    for c in classes:
        _check_text(c, "class name", allow_spaces=True)
    mean = [float(v) for v in mean]
    std = [float(v) for v in std]
    if len(mean) != input_shape[0] or len(std) != input_shape[0]:
        raise CswError(f"mean and std need {input_shape[0]} values each")
    if not all(math.isfinite(v) and v > 0 for v in std):
        raise CswError("std values must be positive and finite")
    return classes, mean, std


def _append_tensor(data, lines, summary, tname, arr, td):
    """Quantises one tensor, appends it at the next multiple of 4 and its `tensor` line."""
    try:
        body, deq, _ = quantise(arr, td)
    except CswError as e:
        raise CswError(f"{tname}: {e}") from None
    data += b"\0" * (-len(data) % 4)
    off = len(data)
    data += body
    lines.append(f"tensor {tname} {td} {off} {arr.ndim} " + " ".join(map(str, arr.shape)))
    err = float(np.abs(deq.astype(np.float64) - arr).max()) if arr.size else 0.0
    summary.append((tname, td, tuple(arr.shape), len(body), err))


def _blob(version, lines, data):
    """Header + description + padding + data, with the CRC."""
    desc = ("\n".join(lines) + "\n").encode("utf-8")
    if len(desc) > MAX_DESC:
        raise CswError(f"description is {len(desc)} bytes, more than {MAX_DESC}")
    pad = b"\0" * (-(HEADER_SIZE + len(desc)) % 16)
    body = desc + pad + bytes(data)
    crc = zlib.crc32(body) & 0xFFFFFFFF
    header = MAGIC + struct.pack("<IIQII", version, len(desc), len(data), crc, 0)
    assert len(header) == HEADER_SIZE
    return header + body


def build_csw(model, dtype, name="model", classes=None, input_shape=(3, 224, 224),
              mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """The bytes of a .csw file for `model` with conv/linear weights stored as `dtype`.

    Returns (bytes, summary) where summary is a list of
    (tensor name, dtype, shape, nbytes, max |dequantised - original|) rows.
    """
    if dtype not in DTYPES:
        raise CswError(f"unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")
    chain = layer_chain(model)
    layers = [describe_module(n, m) for n, m in chain]
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3 or min(input_shape) <= 0:
        raise CswError(f"input shape must be C H W, positive, not {input_shape}")
    shapes = layer_shapes(layers, input_shape)
    k_out = shapes[-1]
    if len(k_out) != 1:
        raise CswError(f"the last layer ({layers[-1].name}) must output a vector of logits, not {k_out}")
    classes, mean, std = _check_header(name, classes, k_out[0], layers[-1].name, input_shape, mean, std)

    lines = ["camscope 1", f"name {name}", "input " + " ".join(map(str, input_shape)),
             "mean " + " ".join(_num(v) for v in mean), "std " + " ".join(_num(v) for v in std)]
    lines += [f"class {c}" for c in classes]
    lines += [L.line() for L in layers]

    data = bytearray()
    summary = []
    for (n, m), L in zip(chain, layers):
        for key, arr in _module_tensors(L, m).items():
            tname = f"{n}.{key}"
            _append_tensor(data, lines, summary, tname, arr, _tensor_dtype(L.type, key, dtype))
    return _blob(VERSION, lines, data), summary


def write_csw(path, model, dtype, **kw):
    """Writes `model` to `path` (see build_csw for the keywords); returns the summary rows."""
    blob, summary = build_csw(model, dtype, **kw)
    with open(path, "wb") as f:
        f.write(blob)
    return summary


# --------------------------------------------------------------------------------------
# Reading


def _int(tok, where, lo=0, hi=1 << 31):
    try:
        if not tok or not (tok.isdigit() or (tok[0] == "-" and tok[1:].isdigit())):
            raise ValueError
        v = int(tok)
    except ValueError:
        raise CswError(f"{where}: {tok!r} is not an integer") from None
    if not lo <= v < hi:
        raise CswError(f"{where}: {v} out of range [{lo}, {hi})")
    return v


def _float(tok, where):
    try:
        v = float(tok)
    except ValueError:
        raise CswError(f"{where}: {tok!r} is not a number") from None
    if not math.isfinite(v):
        raise CswError(f"{where}: non-finite number {tok!r}")
    return v


LAYER_ARGS = {  # type -> argument kinds ("i": positive int, "f": positive float)
    "conv": "iiiii",
    "batchnorm": "if",
    "relu": "",
    "dropout": "",
    "flatten": "",
    "maxpool": "ii",
    "adaptiveavgpool": "ii",
    "linear": "ii",
}


def expected_tensor_shapes(layers):
    """OrderedDict tensor name -> shape implied by the layer statements."""
    out = OrderedDict()
    for L in layers:
        a = L.args
        if L.type == "conv":
            out[L.name + ".weight"] = (a[1], a[0], a[2], a[2])
            out[L.name + ".bias"] = (a[1],)
        elif L.type == "batchnorm":
            for k in LAYER_TENSORS["batchnorm"]:
                out[f"{L.name}.{k}"] = (a[0],)
        elif L.type == "linear":
            out[L.name + ".weight"] = (a[1], a[0])
            out[L.name + ".bias"] = (a[1],)
    return out


def parse_csw(blob):
    """Parses and validates a whole .csw file held in memory; returns a CswFile."""
    blob = bytes(blob)
    n = len(blob)
    if n < HEADER_SIZE:
        raise CswError(f"file is {n} bytes, shorter than the {HEADER_SIZE}-byte header")
    if blob[:8] != MAGIC:
        raise CswError("bad magic (not a camscope .csw file)")
    version, desc_size, data_size, crc, reserved = struct.unpack_from("<IIQII", blob, 8)
    if version not in (VERSION, VERSION2):
        raise CswError(f"header: version {version}, expected {VERSION} or {VERSION2}")
    if reserved != 0:
        raise CswError(f"header: reserved field is {reserved}, expected 0")
    if desc_size == 0 or desc_size > MAX_DESC:
        raise CswError(f"header: description size {desc_size} not in 1..{MAX_DESC}")
    data_start = HEADER_SIZE + desc_size
    data_start += -data_start % 16
    if data_start > n or data_size != n - data_start:
        raise CswError(
            f"header: data section of {data_size} bytes at {data_start} does not end the "
            f"{n}-byte file (expected {n - data_start if data_start <= n else 'none'})"
        )
    actual = zlib.crc32(blob[HEADER_SIZE:]) & 0xFFFFFFFF
    if actual != crc:
        raise CswError(f"checksum mismatch: header says {crc:08x}, contents give {actual:08x}")
    try:
        text = blob[HEADER_SIZE:HEADER_SIZE + desc_size].decode("utf-8")
    except UnicodeDecodeError as e:
        raise CswError(f"description: not UTF-8 ({e})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != f"camscope {version}":
        raise CswError(f"description line 1: expected 'camscope {version}'")
    if version == VERSION2:
        name, inp, mean, std, pre, classes, nodes, tensor_lines = _parse_v2_description(lines)
        if len(mean) != inp[0] or len(std) != inp[0]:
            raise CswError(f"description: mean/std need {inp[0]} values each")
        if not classes:
            raise CswError("description: no classes")
        if not nodes:
            raise CswError("description: no nodes")
        shapes = node_shapes(nodes, inp)
        if shapes[-1] != (len(classes), 1, 1):
            raise CswError(f"description: last node outputs {shapes[-1]}, but there are {len(classes)} classes")
        expected = OrderedDict()
        for nd in nodes:
            for k, shp in node_tensor_shapes(nd).items():
                expected[f"{nd.name}.{k}"] = shp
        f = CswFile(version, crc, desc_size, data_start, data_size, lines, name, inp, mean, std, classes, [],
                    nodes=nodes, pre=pre)
        return _read_tensors(f, blob, data_start, data_size, tensor_lines, expected)
    name = None
    inp = mean = std = None
    classes, layers, tensor_lines = [], [], []
    for i, line in enumerate(lines[1:], start=2):
        where = f"description line {i}"
        if line == "" or "\r" in line or "\t" in line:
            raise CswError(f"{where}: empty line or stray control character")
        tok = line.split(" ")
        if "" in tok:
            raise CswError(f"{where}: tokens must be separated by single spaces")
        kw = tok[0]
        if kw == "name":
            if name is not None or len(tok) != 2:
                raise CswError(f"{where}: 'name NAME' given twice or malformed")
            name = tok[1]
        elif kw == "input":
            if inp is not None or len(tok) != 4:
                raise CswError(f"{where}: 'input C H W' given twice or malformed")
            inp = tuple(_int(t, where, 1, 1 << 16) for t in tok[1:])
        elif kw in ("mean", "std"):
            vals = [_float(t, where) for t in tok[1:]]
            if kw == "mean":
                if mean is not None:
                    raise CswError(f"{where}: mean given twice")
                mean = vals
            else:
                if std is not None:
                    raise CswError(f"{where}: std given twice")
                if not all(v > 0 for v in vals):
                    raise CswError(f"{where}: std values must be positive")
                std = vals
        elif kw == "class":
            if len(tok) < 2:
                raise CswError(f"{where}: class without a name")
            classes.append(line[len("class "):])
        elif kw == "layer":
            if len(tok) < 3:
                raise CswError(f"{where}: 'layer NAME TYPE ARGS' malformed")
            lname, ltype, largs = tok[1], tok[2], tok[3:]
            if ltype not in LAYER_ARGS:
                raise CswError(f"{where}: unknown layer type {ltype!r}")
            kinds = LAYER_ARGS[ltype]
            if len(largs) != len(kinds):
                raise CswError(f"{where}: {ltype} takes {len(kinds)} arguments, gets {len(largs)}")
            args = []
            for k, t in zip(kinds, largs):
                if k == "i":
                    args.append(_int(t, where, 0 if ltype == "conv" else 1, 1 << 24))
                else:
                    v = _float(t, where)
                    if v <= 0:
                        raise CswError(f"{where}: {t} must be positive")
                    args.append(v)
            if ltype == "conv" and (min(args[:4]) < 1):
                raise CswError(f"{where}: conv channels, kernel and stride must be positive")
            if any(L.name == lname for L in layers):
                raise CswError(f"{where}: layer {lname} given twice")
            layers.append(LayerSpec(lname, ltype, tuple(args)))
        elif kw == "tensor":
            if len(tok) < 5:
                raise CswError(f"{where}: 'tensor NAME DTYPE OFFSET NDIM DIMS' malformed")
            tensor_lines.append((where, tok))
        else:
            raise CswError(f"{where}: unknown statement {kw!r}")
    for what, v in (("name", name), ("input", inp), ("mean", mean), ("std", std)):
        if v is None:
            raise CswError(f"description: no '{what}' statement")
    if len(mean) != inp[0] or len(std) != inp[0]:
        raise CswError(f"description: mean/std need {inp[0]} values each")
    if not classes:
        raise CswError("description: no classes")
    if not layers:
        raise CswError("description: no layers")
    shapes = layer_shapes(layers, inp)
    if shapes[-1] != (len(classes),):
        raise CswError(f"description: last layer outputs {shapes[-1]}, but there are {len(classes)} classes")

    expected = expected_tensor_shapes(layers)
    f = CswFile(version, crc, desc_size, data_start, data_size, lines, name, inp, mean, std, classes, layers)
    return _read_tensors(f, blob, data_start, data_size, tensor_lines, expected)


def _read_tensors(f, blob, data_start, data_size, tensor_lines, expected):
    """Checks the tensor statements against `expected` (name -> shape) and reads them into f."""
    data = memoryview(blob)[data_start:]
    extents = []
    raw = {}
    for where, tok in tensor_lines:
        tname, td = tok[1], tok[2]
        if tname in raw:
            raise CswError(f"{where}: tensor {tname} given twice")
        if tname not in expected:
            raise CswError(f"{where}: tensor {tname} belongs to no layer")
        if td not in DTYPES:
            raise CswError(f"{where}: unknown dtype {td!r}")
        off = _int(tok[3], where, 0, 1 << 62)
        if off % 4:
            raise CswError(f"{where}: offset {off} is not a multiple of 4")
        ndim = _int(tok[4], where, 1, 9)
        if len(tok) != 5 + ndim:
            raise CswError(f"{where}: {ndim} dimensions announced, {len(tok) - 5} given")
        dims = tuple(_int(t, where, 1, 1 << 31) for t in tok[5:])
        if dims != expected[tname]:
            raise CswError(f"{where}: {tname} has shape {dims}, layer needs {expected[tname]}")
        count = int(np.prod(dims))
        if td == "f32":
            nbytes = 4 * count
        elif td == "f16":
            nbytes = 2 * count
        else:
            nbytes = count + (-count % 4) + 4 * dims[0]
        if off + nbytes > data_size:
            raise CswError(f"{where}: {tname} ({nbytes} bytes at {off}) runs past the data section ({data_size} bytes)")
        extents.append((off, off + nbytes, tname))
        raw[tname] = (td, off, nbytes, dims, count)
    missing = [t for t in expected if t not in raw]
    if missing:
        raise CswError(f"description: missing tensor {missing[0]}")
    extents.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(extents, extents[1:]):
        if b0 < a1:
            raise CswError(f"tensors {an} and {bn} overlap")
    for tname in expected:
        td, off, nbytes, dims, count = raw[tname]
        chunk = data[off:off + nbytes]
        if td == "f32":
            arr = np.frombuffer(chunk, dtype="<f4").astype(np.float32)
        elif td == "f16":
            arr = np.frombuffer(chunk, dtype="<f2").astype(np.float32)
        else:
            q = np.frombuffer(chunk[:count], dtype=np.int8)
            so = count + (-count % 4)
            scale = np.frombuffer(chunk[so:so + 4 * dims[0]], dtype="<f4").astype(np.float32)
            if not np.all(np.isfinite(scale)):
                raise CswError(f"tensor {tname}: non-finite scale")
            f.scales[tname] = scale
            arr = (q.reshape(dims[0], -1).astype(np.float32) * scale[:, None]).astype(np.float32)
        arr = arr.reshape(dims)
        if not np.all(np.isfinite(arr)):
            raise CswError(f"tensor {tname}: non-finite value")
        f.tensors[tname] = arr
        f.dtypes[tname] = td
        f.offsets[tname] = (off, nbytes)
    return f


def read_csw(path_or_bytes):
    """Reads and validates a .csw file (a path, or the bytes themselves)."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return parse_csw(path_or_bytes)
    with open(path_or_bytes, "rb") as fh:
        return parse_csw(fh.read())


# --------------------------------------------------------------------------------------
# Back to PyTorch


def module_from_spec(L):
    """A fresh PyTorch module for one LayerSpec (ReLU never in place)."""
    a = L.args
    if L.type == "conv":
        return nn.Conv2d(a[0], a[1], a[2], stride=a[3], padding=a[4])
    if L.type == "batchnorm":
        return nn.BatchNorm2d(a[0], eps=a[1])
    if L.type == "relu":
        return nn.ReLU(inplace=False)
    if L.type == "dropout":
        return nn.Dropout()
    if L.type == "flatten":
        return nn.Flatten(1)
    if L.type == "maxpool":
        return nn.MaxPool2d(a[0], stride=a[1])
    if L.type == "adaptiveavgpool":
        return nn.AdaptiveAvgPool2d((a[0], a[1]))
    if L.type == "linear":
        return nn.Linear(a[0], a[1])
    raise CswError(f"{L.name}: unknown layer type {L.type!r}")


def model_from_csw(f):
    """nn.Sequential (nested by the dotted names, so state_dict keys are the PyTorch names)
    holding the file's layers with its dequantised weights, in eval mode, float32."""
    root = nn.Sequential()
    last_path = []
    for L in f.layers:
        parts = L.name.split(".")
        parent = root
        for depth, p in enumerate(parts[:-1]):
            sub = parent._modules.get(p)
            if sub is None:
                sub = nn.Sequential()
                parent.add_module(p, sub)
            elif not isinstance(sub, nn.Sequential) or last_path[: depth + 1] != parts[: depth + 1]:
                raise CswError(f"{L.name}: layer names do not nest into a plain chain")
            parent = sub
        if parts[-1] in parent._modules:
            raise CswError(f"{L.name}: name clash")
        parent.add_module(parts[-1], module_from_spec(L))
        last_path = parts
    sd = root.state_dict()
    for k in list(sd):
        if k.endswith("num_batches_tracked"):
            continue
        sd[k] = torch.from_numpy(f.tensors[k].copy())
    root.load_state_dict(sd)
    chain = _leaves(root, "")
    if [n for n, _ in chain] != [L.name for L in f.layers]:
        raise CswError("layer names do not nest into a plain chain in execution order")
    return root.eval()


def dequantised_state_dict(model, dtype, input_shape=None):
    """The model's state_dict with every tensor the .csw file holds replaced by what the
    C++ core reads back (f16 -> f32, int8 * scale -> f32; f32 unchanged). Keys follow the
    model's own names (torchvision's AlexNet needs no flatten key)."""
    blob, _ = build_csw(model, dtype, input_shape=input_shape or _probe_input_shape(model))
    f = parse_csw(blob)
    sd = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    for k, arr in f.tensors.items():
        if k in sd:  # (absent: BatchNorm without affine, whose ones/zeros were synthesised)
            sd[k] = torch.from_numpy(arr.copy()).to(sd[k].dtype)
    return sd


def _probe_input_shape(model):
    """3 x 224 x 224 unless the first conv says otherwise about channels."""
    for _, m in layer_chain(model):
        if isinstance(m, nn.Conv2d):
            return (m.in_channels, 224, 224)
    return (3, 224, 224)


# ======================================================================================
# Version 2: graphs (any CNN). Front-ends (tools/export.py for PyTorch, tools/export_keras.py
# for Keras) turn a model into NodeSpecs and tensors; build_csw2 writes them; parse_csw reads
# both versions; run_graph runs a parsed graph with torch.nn.functional, the Python reference
# of the format's semantics (what the C++ core must compute).

VERSION2 = 2
# op -> (required keys, optional keys with defaults)
NODE_ARGS = {
    "conv": (("cin", "cout", "k"), {"s": (1, 1), "p": (0, 0, 0, 0), "d": (1, 1), "g": 1, "bias": 1}),
    "batchnorm": (("c", "eps"), {}),
    "relu": ((), {}),
    "relu6": ((), {}),
    "clip": (("lo", "hi"), {}),
    "maxpool": (("k",), {"s": None, "p": (0, 0, 0, 0), "d": (1, 1), "ceil": 0}),
    "avgpool": (("k",), {"s": None, "p": (0, 0, 0, 0), "ceil": 0, "include_pad": 1}),
    "adaptiveavgpool": (("out",), {}),
    "add": ((), {}),
    "concat": ((), {}),
    "flatten": ((), {"order": "nchw"}),
    "linear": (("in", "out"), {"bias": 1}),
    "identity": ((), {}),
    "dropout": ((), {}),
}
RESIZE_RULES = ("bilinear_aa", "nearest")


@dataclass
class NodeSpec:
    """One `node` statement (plus its `alias` lines): name, op, input names, arguments."""

    name: str
    op: str
    inputs: list
    args: dict = field(default_factory=dict)
    aliases: list = field(default_factory=list)

    def lines(self):
        parts = ["node", self.name, self.op, ",".join(self.inputs)]
        for k, v in self.args.items():
            if isinstance(v, (tuple, list)):
                v = ",".join(_num(i) for i in v)
            elif isinstance(v, str):
                pass
            else:
                v = _num(v)
            parts.append(f"{k}={v}")
        return [" ".join(parts)] + [f"alias {a} {self.name}" for a in self.aliases]

    def arg(self, key):
        """The argument with its default filled in (tuples normalised to 2 or 4 entries)."""
        req, opt = NODE_ARGS[self.op]
        v = self.args.get(key, opt.get(key))
        if (key in ("k", "s", "d") or (key, self.op) == ("out", "adaptiveavgpool")) and v is not None:
            v = (v, v) if isinstance(v, int) else tuple(v)
            if len(v) == 1:
                v = (v[0], v[0])
        if key == "p":
            v = (v,) if isinstance(v, int) else tuple(v)
            v = v * 4 if len(v) == 1 else (v[0], v[1], v[0], v[1]) if len(v) == 2 else v
        return v


def node_tensor_shapes(nd):
    """OrderedDict suffix -> shape of the tensors node `nd` owns, in writing order."""
    out = OrderedDict()
    if nd.op == "conv":
        kh, kw = nd.arg("k")
        out["weight"] = (nd.args["cout"], nd.args["cin"] // nd.arg("g"), kh, kw)
        if nd.arg("bias"):
            out["bias"] = (nd.args["cout"],)
    elif nd.op == "batchnorm":
        for k in ("weight", "bias", "running_mean", "running_var"):
            out[k] = (nd.args["c"],)
    elif nd.op == "linear":
        out["weight"] = (nd.args["out"], nd.args["in"])
        if nd.arg("bias"):
            out["bias"] = (nd.args["out"],)
    return out


def _window_out(n, k, s, p0, p1, d, ceil):
    """Output length of a window along one axis (PyTorch's rule; 0 if it does not fit)."""
    span = d * (k - 1) + 1
    room = n + p0 + p1 - span
    if room < 0:
        return 0
    out = (room + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p0:
        out -= 1
    return out


def node_shapes(nodes, input_shape):
    """Output shape (C, H, W) of every node; CswError naming the first that cannot run.
    Mirrors the C++ Net::shapes."""
    shapes = {"input": tuple(int(d) for d in input_shape)}
    out = []
    for nd in nodes:
        if nd.op not in NODE_ARGS:
            raise CswError(f"node {nd.name}: unknown op {nd.op!r}")
        ins = []
        for i in nd.inputs:
            if i not in shapes:
                raise CswError(f"node {nd.name}: input {i!r} is not an earlier node")
            ins.append(shapes[i])
        if not ins:
            raise CswError(f"node {nd.name}: no input")
        c, h, w = ins[0]
        op = nd.op
        if op in ("add", "concat") and len(ins) < 2:
            raise CswError(f"node {nd.name}: {op} needs at least two inputs")
        if op not in ("add", "concat") and len(ins) != 1:
            raise CswError(f"node {nd.name}: {op} takes one input")
        if op == "conv":
            if c != nd.args["cin"]:
                raise CswError(f"node {nd.name}: conv expects {nd.args['cin']} channels, gets {c}")
            (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr) = nd.arg("k"), nd.arg("s"), nd.arg("d"), nd.arg("p")
            s = (nd.args["cout"], _window_out(h, kh, sh, pt, pb, dh, False), _window_out(w, kw, sw, pl, pr, dw, False))
        elif op in ("maxpool", "avgpool"):
            (kh, kw) = nd.arg("k")
            (sh, sw) = nd.arg("s") or (kh, kw)
            (dh, dw) = nd.arg("d") if op == "maxpool" else (1, 1)
            pt, pl, pb, pr = nd.arg("p")
            ceil = bool(nd.arg("ceil"))
            s = (c, _window_out(h, kh, sh, pt, pb, dh, ceil), _window_out(w, kw, sw, pl, pr, dw, ceil))
        elif op == "batchnorm":
            if c != nd.args["c"]:
                raise CswError(f"node {nd.name}: batchnorm of {nd.args['c']} channels gets {c}")
            s = (c, h, w)
        elif op == "adaptiveavgpool":
            s = (c,) + tuple(nd.arg("out"))
        elif op == "add":
            if any(x != ins[0] for x in ins):
                raise CswError(f"node {nd.name}: add of different shapes {ins}")
            s = ins[0]
        elif op == "concat":
            if any(x[1:] != ins[0][1:] for x in ins):
                raise CswError(f"node {nd.name}: concat of different heights/widths {ins}")
            s = (sum(x[0] for x in ins), h, w)
        elif op == "flatten":
            s = (c * h * w, 1, 1)
        elif op == "linear":
            if (h, w) != (1, 1) or c != nd.args["in"]:
                raise CswError(f"node {nd.name}: linear expects {nd.args['in']} flat inputs, gets {(c, h, w)}")
            s = (nd.args["out"], 1, 1)
        else:
            s = (c, h, w)
        if min(s) < 1:
            raise CswError(f"node {nd.name}: input {ins[0]} is too small for {op}")
        for name in [nd.name] + list(nd.aliases):
            if name in shapes:
                raise CswError(f"node {nd.name}: name {name!r} used twice")
            shapes[name] = s
        out.append(s)
    return out


def build_csw2(nodes, tensors, dtype, name="model", classes=None, input_shape=(3, 224, 224),
               mean=IMAGENET_MEAN, std=IMAGENET_STD, value_range=1, channels="rgb",
               resize="bilinear_aa"):
    """The bytes of a version-2 .csw file: `nodes` (NodeSpec list, topological order, the
    last one the logits) and `tensors` (dict "node.suffix" -> float32 array). Conv and linear
    weights are stored as `dtype`, the rest f32. Returns (bytes, summary) like build_csw."""
    if dtype not in DTYPES:
        raise CswError(f"unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3 or min(input_shape) <= 0:
        raise CswError(f"input shape must be C H W, positive, not {input_shape}")
    for nd in nodes:
        for n in [nd.name] + list(nd.aliases):
            if not n or any(ch.isspace() for ch in n) or "," in n or n == "input":
                raise CswError(f"node name {n!r}: empty, with a space or comma, or 'input'")
        req, opt = NODE_ARGS.get(nd.op, (None, None))
        if req is None:
            raise CswError(f"node {nd.name}: unknown op {nd.op!r}")
        for k in req:
            if k not in nd.args:
                raise CswError(f"node {nd.name}: {nd.op} needs {k}=")
        for k in nd.args:
            if k not in req and k not in opt:
                raise CswError(f"node {nd.name}: {nd.op} takes no {k}=")
        if nd.op in ("conv", "maxpool", "avgpool"):  # the reader's limits (wasm/weights_io.cpp)
            geo = [nd.arg("k"), nd.arg("s") or nd.arg("k"), nd.arg("p")] + ([nd.arg("d")] if nd.op != "avgpool" else [])
            if any(v > 64 for t in geo for v in t):
                raise CswError(f"node {nd.name}: kernel, stride, padding and dilation must be at most 64")
    shapes = node_shapes(nodes, input_shape)
    k_out = shapes[-1]
    if k_out[1:] != (1, 1):
        raise CswError(f"the last node ({nodes[-1].name}) must output a vector of logits, not {k_out}")
    classes, mean, std = _check_header(name, classes, k_out[0], nodes[-1].name, input_shape, mean, std)
    if value_range not in (1, 255) or channels not in ("rgb", "bgr") or resize not in RESIZE_RULES:
        raise CswError("range must be 1 or 255, channels rgb or bgr, resize bilinear_aa or nearest")

    lines = ["camscope 2", f"name {name}", "input " + " ".join(map(str, input_shape)),
             "mean " + " ".join(_num(v) for v in mean), "std " + " ".join(_num(v) for v in std),
             f"range {value_range}", f"channels {channels}", f"resize {resize}"]
    lines += [f"class {c}" for c in classes]
    for nd in nodes:
        lines += nd.lines()
    data = bytearray()
    summary = []
    used = set()
    for nd in nodes:
        for key, shape in node_tensor_shapes(nd).items():
            tname = f"{nd.name}.{key}"
            if tname not in tensors:
                raise CswError(f"node {nd.name}: no tensor {tname}")
            arr = np.ascontiguousarray(np.asarray(tensors[tname], dtype=np.float32))
            if tuple(arr.shape) != tuple(shape):
                raise CswError(f"{tname}: shape {tuple(arr.shape)}, the node needs {tuple(shape)}")
            used.add(tname)
            _append_tensor(data, lines, summary, tname, arr, _tensor_dtype(nd.op, key, dtype))
    extra = sorted(set(tensors) - used)
    if extra:
        raise CswError(f"tensor {extra[0]} belongs to no node")
    return _blob(VERSION2, lines, data), summary


def _parse_v2_args(nd_op, toks, where):
    """key=value tokens of a node -> dict of ints / floats / tuples / strings."""
    req, opt = NODE_ARGS[nd_op]
    args = {}
    for t in toks:
        k, sep, v = t.partition("=")
        if not sep or not k:
            raise CswError(f"{where}: argument {t!r} is not key=value")
        if k in args:
            raise CswError(f"{where}: {k}= given twice")
        if k not in req and k not in opt:
            raise CswError(f"{where}: {nd_op} takes no {k}=")
        if k == "order":
            if v not in ("nchw", "nhwc"):
                raise CswError(f"{where}: order must be nchw or nhwc")
            args[k] = v
        elif k in ("eps", "lo", "hi"):
            args[k] = _float(v, where)
        else:
            vals = tuple(_int(x, where, 0, 1 << 24) for x in v.split(","))
            tuple_keys = ("k", "s", "d", "p") + (("out",) if nd_op == "adaptiveavgpool" else ())
            args[k] = vals[0] if len(vals) == 1 and k not in tuple_keys else vals
    for k in req:
        if k not in args:
            raise CswError(f"{where}: {nd_op} needs {k}=")
    return args


def _parse_v2_description(lines):
    """(name, input, mean, std, extra preprocessing dict, classes, nodes, tensor lines)."""
    name = inp = mean = std = None
    pre = {"range": 1, "channels": "rgb", "resize": "bilinear_aa"}
    classes, nodes, tensor_lines = [], [], []
    by_name = {}
    for i, line in enumerate(lines[1:], start=2):
        where = f"description line {i}"
        tok = line.split(" ")
        if line == "" or "" in tok:
            raise CswError(f"{where}: empty line or double space")
        kw = tok[0]
        if kw == "name" and len(tok) == 2:
            name = tok[1]
        elif kw == "input" and len(tok) == 4:
            inp = tuple(_int(t, where, 1, 1 << 16) for t in tok[1:])
        elif kw in ("mean", "std"):
            vals = [_float(t, where) for t in tok[1:]]
            if kw == "std" and not all(v > 0 for v in vals):
                raise CswError(f"{where}: std values must be positive")
            mean, std = (vals, std) if kw == "mean" else (mean, vals)
        elif kw == "range" and len(tok) == 2 and tok[1] in ("1", "255"):
            pre["range"] = int(tok[1])
        elif kw == "channels" and len(tok) == 2 and tok[1] in ("rgb", "bgr"):
            pre["channels"] = tok[1]
        elif kw == "resize" and len(tok) == 2 and tok[1] in RESIZE_RULES:
            pre["resize"] = tok[1]
        elif kw == "class" and len(tok) >= 2:
            classes.append(line[len("class "):])
        elif kw == "node" and len(tok) >= 4:
            op = tok[2]
            if op not in NODE_ARGS:
                raise CswError(f"{where}: unknown op {op!r}")
            nd = NodeSpec(tok[1], op, tok[3].split(","), _parse_v2_args(op, tok[4:], where))
            if nd.name in by_name or nd.name == "input":
                raise CswError(f"{where}: name {nd.name} used twice")
            by_name[nd.name] = nd
            nodes.append(nd)
        elif kw == "alias" and len(tok) == 3:
            if tok[2] not in by_name or tok[1] in by_name or tok[1] == "input":
                raise CswError(f"{where}: bad alias {tok[1]} -> {tok[2]}")
            by_name[tok[2]].aliases.append(tok[1])
            by_name[tok[1]] = by_name[tok[2]]
        elif kw == "tensor" and len(tok) >= 5:
            tensor_lines.append((where, tok))
        else:
            raise CswError(f"{where}: unknown or malformed statement {kw!r}")
    for what, v in (("name", name), ("input", inp), ("mean", mean), ("std", std)):
        if v is None:
            raise CswError(f"description: no '{what}' statement")
    # inputs by alias -> canonical names
    for nd in nodes:
        nd.inputs = ["input" if i == "input" else (by_name[i].name if i in by_name else i) for i in nd.inputs]
    return name, inp, mean, std, pre, classes, nodes, tensor_lines


def run_graph(f, x, keep=False, relu=None):
    """Runs a parsed version-2 graph on x (N, C, H, W) with torch.nn.functional, float64 or
    float32 as x is. Returns the logits, or (logits, {node name: output}) with keep=True.
    `relu`: a function used instead of F.relu for relu nodes (e.g. a guided ReLU)."""
    import torch.nn.functional as F

    vals = {"input": x}
    for nd in f.nodes:
        ins = [vals[i] for i in nd.inputs]
        a = ins[0]
        t = lambda k: torch.from_numpy(f.tensors[f"{nd.name}.{k}"]).to(x.dtype)  # noqa: E731
        op = nd.op
        if op == "conv":
            pt, pl, pb, pr = nd.arg("p")
            if (pt, pl) != (pb, pr):
                a, pad = F.pad(a, (pl, pr, pt, pb)), 0
            else:
                pad = (pt, pl)
            y = F.conv2d(a, t("weight"), t("bias") if nd.arg("bias") else None, stride=nd.arg("s"),
                         padding=pad, dilation=nd.arg("d"), groups=nd.arg("g"))
        elif op == "batchnorm":
            y = F.batch_norm(a, t("running_mean"), t("running_var"), t("weight"), t("bias"), False, 0.0,
                             nd.args["eps"])
        elif op == "relu":
            y = relu(a) if relu else F.relu(a)
        elif op == "relu6":
            y = F.hardtanh(a, 0.0, 6.0)
        elif op == "clip":
            y = F.hardtanh(a, nd.args["lo"], nd.args["hi"])
        elif op in ("maxpool", "avgpool"):
            k = nd.arg("k")
            s = nd.arg("s") or k
            pt, pl, pb, pr = nd.arg("p")
            ceil = bool(nd.arg("ceil"))
            sym = (pt, pl) == (pb, pr)
            if op == "maxpool":
                if not sym:
                    a, pt, pl = F.pad(a, (pl, pr, pt, pb), value=float("-inf")), 0, 0
                y = F.max_pool2d(a, k, s, (pt, pl), nd.arg("d"), ceil_mode=ceil)
            elif sym:
                y = F.avg_pool2d(a, k, s, (pt, pl), ceil_mode=ceil, count_include_pad=bool(nd.arg("include_pad")))
            else:
                pad = (pl, pr, pt, pb)
                total = F.avg_pool2d(F.pad(a, pad), k, s, 0, ceil_mode=ceil, count_include_pad=True)
                if nd.arg("include_pad"):
                    y = total
                else:
                    ones = F.pad(torch.ones_like(a[:1, :1]), pad)
                    y = total / F.avg_pool2d(ones, k, s, 0, ceil_mode=ceil, count_include_pad=True)
        elif op == "adaptiveavgpool":
            y = F.adaptive_avg_pool2d(a, nd.arg("out"))
        elif op == "add":
            y = ins[0]
            for b in ins[1:]:
                y = y + b
        elif op == "concat":
            y = torch.cat(ins, 1)
        elif op == "flatten":
            if nd.arg("order") == "nhwc":
                a = a.permute(0, 2, 3, 1)
            y = a.reshape(a.shape[0], -1, 1, 1)
        elif op == "linear":
            y = F.linear(a.reshape(a.shape[0], -1), t("weight"), t("bias") if nd.arg("bias") else None)
            y = y.reshape(y.shape[0], -1, 1, 1)
        else:  # identity, dropout
            y = a
        vals[nd.name] = y
    logits = vals[f.nodes[-1].name].reshape(x.shape[0], -1)
    if keep:
        return logits, {nd.name: vals[nd.name] for nd in f.nodes}
    return logits
