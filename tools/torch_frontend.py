"""PyTorch front-end: any nn.Module built from the ops camscope runs -> a version-2 graph.

    nodes, tensors, report, final = graph_of(model, input_shape=(3, 224, 224))
    blob, summary = csw.build_csw2(nodes, tensors, "f32", ...)

The model is traced with torch.fx (symbolic tracing, a tracer that also records which module
each traced value came out of), shapes are propagated on a zero input, and every fx node
becomes a camscope node:

- a leaf module call is named by its module path ("features.10", "layer4.1.conv2"); a module
  called twice (ResNet's block ReLU) gets "#2" on its second node ("layer4.1.relu#2");
- a function or method call is named by the module it was called in plus the function
  ("layer1.0.add", "flatten", "features.denseblock1.denselayer1.cat");
- every enclosing module whose output a node's value is becomes an alias of that node
  ("layer4.1" and "layer4" for ResNet18's last ReLU, "features" for VGG's last pool), so
  layers are addressed as pytorch-grad-cam's target_layers are.

A final softmax / log-softmax is removed (maps use the logits); a final sigmoid of one
output becomes two classes whose logits are -z/2 and z/2 (so that softmax gives back
sigmoid(z)). Anything else that camscope cannot run is refused with UnsupportedOp naming the
module (or function) and the op; a wrong file is never written.
"""

import operator

import numpy as np
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

import csw


class UnsupportedOp(csw.CswError):
    """A module or function camscope cannot run."""


class ScopeTracer(torch.fx.Tracer):
    """fx tracer that notes, for every traced value, the modules that returned it, and for
    every fx node the module it was created in."""

    def __init__(self):
        super().__init__()
        self.scope = ""
        self.outputs_of = {}  # fx node -> [module paths whose output it is], innermost first

    def call_module(self, m, forward, args, kwargs):
        path = self.path_of_module(m)
        outer, self.scope = self.scope, path
        try:
            out = super().call_module(m, forward, args, kwargs)
        finally:
            self.scope = outer
        if isinstance(out, torch.fx.Proxy):
            self.outputs_of.setdefault(out.node, []).append(path)
        return out

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        node.meta["camscope_scope"] = self.scope
        return node


def _pair(v):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    return (v[0], v[0]) if len(v) == 1 else v


def _shape(node):
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _conv_padding(m, where):
    """(top, left, bottom, right) of a Conv2d, 'same' and 'valid' included."""
    if m.padding_mode != "zeros":
        raise UnsupportedOp(f"{where}: Conv2d padding_mode={m.padding_mode!r} (only zero padding)")
    if isinstance(m.padding, str):
        if m.padding == "valid":
            return (0, 0, 0, 0)
        kh, kw = _pair(m.kernel_size)
        dh, dw = _pair(m.dilation)
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return (th // 2, tw // 2, th - th // 2, tw - tw // 2)
    ph, pw = _pair(m.padding)
    return (ph, pw, ph, pw)


def _f32(t):
    return t.detach().to("cpu", torch.float32).contiguous().numpy()


class _Builder:
    def __init__(self, model):
        self.model = model
        self.nodes = []
        self.tensors = {}
        self.names = {}  # fx node -> camscope node name ("input" for the picture)
        self.used = {"input"}
        self.report = []

    def unique(self, name):
        if name not in self.used:
            self.used.add(name)
            return name
        i = 2
        while f"{name}#{i}" in self.used:
            i += 1
        self.used.add(f"{name}#{i}")
        return f"{name}#{i}"

    def inputs_of(self, node, args, where):
        out = []
        for a in args:
            if not isinstance(a, torch.fx.Node):
                raise UnsupportedOp(f"{where}: an input that is not a tensor ({a!r})")
            if a not in self.names:
                raise UnsupportedOp(f"{where}: reads {a.name}, which camscope did not convert")
            out.append(self.names[a])
        return out

    def add(self, node, name, op, inputs, args=None, tensors=None):
        nd = csw.NodeSpec(name, op, inputs, dict(args or {}))
        self.nodes.append(nd)
        self.names[node] = name
        for k, v in (tensors or {}).items():
            self.tensors[f"{name}.{k}"] = v
        return nd

    # --- modules -----------------------------------------------------------------------

    def module(self, node, name, m, inputs):
        where = f"module {node.target} ({type(m).__name__})"
        if isinstance(m, nn.Conv2d) and type(m) in (nn.Conv2d,):
            p = _conv_padding(m, where)
            args = {"cin": m.in_channels, "cout": m.out_channels, "k": _pair(m.kernel_size),
                    "s": _pair(m.stride), "p": p, "d": _pair(m.dilation), "g": m.groups,
                    "bias": int(m.bias is not None)}
            t = {"weight": _f32(m.weight)}
            if m.bias is not None:
                t["bias"] = _f32(m.bias)
            return self.add(node, name, "conv", inputs, args, t)
        if type(m) is nn.BatchNorm2d:
            if m.running_mean is None or m.running_var is None:
                raise UnsupportedOp(f"{where}: BatchNorm2d without running statistics")
            c = m.num_features
            t = {"weight": _f32(m.weight) if m.affine else np.ones(c, np.float32),
                 "bias": _f32(m.bias) if m.affine else np.zeros(c, np.float32),
                 "running_mean": _f32(m.running_mean), "running_var": _f32(m.running_var)}
            return self.add(node, name, "batchnorm", inputs, {"c": c, "eps": float(m.eps)}, t)
        if type(m) is nn.ReLU:
            return self.add(node, name, "relu", inputs)
        if type(m) is nn.ReLU6:
            return self.add(node, name, "relu6", inputs)
        if type(m) is nn.Hardtanh:
            return self.add(node, name, "clip", inputs, {"lo": float(m.min_val), "hi": float(m.max_val)})
        if type(m) is nn.MaxPool2d:
            if m.return_indices:
                raise UnsupportedOp(f"{where}: MaxPool2d(return_indices=True)")
            ph, pw = _pair(m.padding)
            return self.add(node, name, "maxpool", inputs,
                            {"k": _pair(m.kernel_size), "s": _pair(m.stride or m.kernel_size),
                             "p": (ph, pw, ph, pw), "d": _pair(m.dilation), "ceil": int(m.ceil_mode)})
        if type(m) is nn.AvgPool2d:
            if m.divisor_override is not None:
                raise UnsupportedOp(f"{where}: AvgPool2d(divisor_override=...)")
            ph, pw = _pair(m.padding)
            return self.add(node, name, "avgpool", inputs,
                            {"k": _pair(m.kernel_size), "s": _pair(m.stride or m.kernel_size),
                             "p": (ph, pw, ph, pw), "ceil": int(m.ceil_mode),
                             "include_pad": int(m.count_include_pad)})
        if type(m) is nn.AdaptiveAvgPool2d:
            return self.adaptive(node, name, inputs, m.output_size, where)
        if type(m) is nn.Linear:
            t = {"weight": _f32(m.weight)}
            if m.bias is not None:
                t["bias"] = _f32(m.bias)
            return self.linear(node, name, inputs, m.in_features, m.out_features, t, where)
        if type(m) in (nn.Dropout, nn.Dropout2d, nn.AlphaDropout):
            return self.add(node, name, "dropout", inputs)
        if type(m) is nn.Identity:
            return self.add(node, name, "identity", inputs)
        if type(m) is nn.Flatten:
            if m.start_dim != 1 or m.end_dim != -1:
                raise UnsupportedOp(f"{where}: Flatten({m.start_dim}, {m.end_dim}) (only Flatten(1, -1))")
            return self.flatten(node, name, inputs, where)
        raise UnsupportedOp(f"{where}: camscope cannot run a {type(m).__module__}.{type(m).__name__} "
                            "(supported: Conv2d, BatchNorm2d, ReLU, ReLU6, Hardtanh, MaxPool2d, AvgPool2d, "
                            "AdaptiveAvgPool2d, Linear, Dropout, Identity, Flatten, and add / cat / flatten)")

    def adaptive(self, node, name, inputs, size, where):
        shp = _shape(node.args[0])
        size = _pair(size) if size is not None else (None, None)
        size = tuple(shp[2 + i] if s is None else s for i, s in enumerate(size))
        return self.add(node, name, "adaptiveavgpool", inputs, {"out": size})

    def flatten(self, node, name, inputs, where):
        shp = _shape(node.args[0])
        if shp is None or len(shp) == 2:
            return self.add(node, name, "identity", inputs)  # already flat
        if len(shp) != 4:
            raise UnsupportedOp(f"{where}: flatten of a {len(shp)}-d tensor")
        return self.add(node, name, "flatten", inputs)

    def linear(self, node, name, inputs, fin, fout, t, where):
        shp = _shape(node.args[0])
        if shp is not None and len(shp) != 2:
            raise UnsupportedOp(f"{where}: Linear applied to a {len(shp)}-d tensor (flatten it first)")
        return self.add(node, name, "linear", inputs, {"in": fin, "out": fout, "bias": int("bias" in t)}, t)

    # --- functions and methods ------------------------------------------------------------

    def function(self, node, name_of, inputs_of):
        """call_function / call_method nodes."""
        fn, args, kw = node.target, node.args, node.kwargs
        is_method = node.op == "call_method"
        where = f"{'method' if is_method else 'function'} {getattr(fn, '__name__', fn)} in " \
                f"{node.meta.get('camscope_scope') or 'the model'}"
        tensor_args = [a for a in args if isinstance(a, torch.fx.Node)]

        def arg(i, key, default=None):
            return args[i] if len(args) > i else kw.get(key, default)

        if fn in (operator.add, torch.add) or (is_method and fn == "add"):
            if len(tensor_args) != 2 or len(args) != 2 or kw.get("alpha", 1) != 1:
                raise UnsupportedOp(f"{where}: only the sum of two tensors is supported")
            if _shape(args[0]) != _shape(args[1]):
                raise UnsupportedOp(f"{where}: add with broadcasting")
            return self.add(node, name_of("add"), "add", inputs_of(args))
        if fn is torch.cat:
            seq = arg(0, "tensors")
            dim = arg(1, "dim", 0)
            if dim not in (1, -3) or len(_shape(node)) != 4:
                raise UnsupportedOp(f"{where}: torch.cat along dim {dim} (only channels, dim=1)")
            op = "concat" if len(seq) > 1 else "identity"  # DenseNet's first layer: cat([x])
            return self.add(node, name_of("cat"), op, inputs_of(list(seq)))
        if fn is torch.flatten or (is_method and fn == "flatten"):
            if arg(1, "start_dim", 0) != 1 or arg(2, "end_dim", -1) != -1:
                raise UnsupportedOp(f"{where}: flatten other than flatten(x, 1)")
            return self.flatten(node, name_of("flatten"), inputs_of(args[:1]), where)
        if is_method and fn in ("view", "reshape"):
            src, out = _shape(args[0]), _shape(node)
            if src is None or out is None or len(out) != 2 or out[1] != int(np.prod(src[1:])):
                raise UnsupportedOp(f"{where}: {fn} other than flattening to (N, C*H*W)")
            return self.flatten(node, name_of("flatten"), inputs_of(args[:1]), where)
        if fn in (F.relu, torch.relu) or (is_method and fn == "relu"):
            return self.add(node, name_of("relu"), "relu", inputs_of(args[:1]))
        if fn is F.relu6:
            return self.add(node, name_of("relu6"), "relu6", inputs_of(args[:1]))
        if fn is F.hardtanh:
            lo, hi = float(arg(1, "min_val", -1.0)), float(arg(2, "max_val", 1.0))
            return self.add(node, name_of("hardtanh"), "clip", inputs_of(args[:1]), {"lo": lo, "hi": hi})
        if fn is F.adaptive_avg_pool2d:
            return self.adaptive(node, name_of("adaptive_avg_pool2d"), inputs_of(args[:1]),
                                 arg(1, "output_size"), where)
        if fn is F.avg_pool2d:
            k = _pair(arg(1, "kernel_size"))
            s = arg(2, "stride") or k
            ph, pw = _pair(arg(3, "padding", 0))
            if arg(6, "divisor_override") is not None:
                raise UnsupportedOp(f"{where}: avg_pool2d(divisor_override=...)")
            return self.add(node, name_of("avg_pool2d"), "avgpool", inputs_of(args[:1]),
                            {"k": k, "s": _pair(s), "p": (ph, pw, ph, pw), "ceil": int(bool(arg(4, "ceil_mode", False))),
                             "include_pad": int(bool(arg(5, "count_include_pad", True)))})
        if fn is F.max_pool2d:
            k = _pair(arg(1, "kernel_size"))
            s = arg(2, "stride") or k
            ph, pw = _pair(arg(3, "padding", 0))
            if arg(6, "return_indices", False):
                raise UnsupportedOp(f"{where}: max_pool2d(return_indices=True)")
            return self.add(node, name_of("max_pool2d"), "maxpool", inputs_of(args[:1]),
                            {"k": k, "s": _pair(s), "p": (ph, pw, ph, pw), "d": _pair(arg(4, "dilation", 1)),
                             "ceil": int(bool(arg(5, "ceil_mode", False)))})
        if fn in (F.dropout, F.dropout2d) or (is_method and fn == "contiguous"):
            return self.add(node, name_of("dropout" if not is_method else "contiguous"),
                            "dropout" if not is_method else "identity", inputs_of(args[:1]))
        raise UnsupportedOp(f"{where}: camscope cannot run {'method .' if is_method else ''}"
                            f"{getattr(fn, '__qualname__', fn)}")


FINAL_REMOVABLE = {"softmax", "log_softmax", "sigmoid"}


def _final_kind(node, model):
    """'softmax' / 'log_softmax' / 'sigmoid' if this fx node is such an op, else None."""
    if node.op == "call_module":
        m = model.get_submodule(node.target)
        return {nn.Softmax: "softmax", nn.LogSoftmax: "log_softmax", nn.Sigmoid: "sigmoid"}.get(type(m))
    if node.op in ("call_function", "call_method"):
        fn = node.target
        name = fn if isinstance(fn, str) else getattr(fn, "__name__", "")
        if name in FINAL_REMOVABLE:
            return name
    return None


def graph_of(model, input_shape=(3, 224, 224)):
    """(nodes, tensors, report, final) of an eval-mode model: NodeSpecs in topological order
    (the last one the logits), float32 tensors keyed "node.suffix", lines saying what was
    removed, and the removed final op ("softmax", "log_softmax", "sigmoid" or None)."""
    model = model.eval()
    tracer = ScopeTracer()
    try:
        graph = tracer.trace(model)
    except Exception as e:  # noqa: BLE001 - any tracing failure is reported in one line
        raise UnsupportedOp(f"torch.fx cannot trace {type(model).__name__}: {type(e).__name__}: {e}") from None
    gm = torch.fx.GraphModule(model, graph)
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(torch.zeros((1,) + tuple(input_shape)))
    except Exception as e:  # noqa: BLE001
        cause = e.__cause__ or e
        raise csw.CswError(f"the model does not run on a 1x{'x'.join(map(str, input_shape))} input "
                           f"(--input-size): {type(cause).__name__}: {str(cause).splitlines()[0]}") from None
    b = _Builder(model)
    out_node = next(n for n in graph.nodes if n.op == "output")
    result = out_node.args[0]
    if not isinstance(result, torch.fx.Node):
        raise UnsupportedOp("the model returns several values (a tuple or dict); camscope needs one tensor of logits")
    # A final softmax / sigmoid: explain its input (the logits) instead.
    final = _final_kind(result, model)
    removed = None
    if final:
        removed = result
        result = result.args[0]
        b.report.append(f"removed the final {final} ({removed.name}): maps use the logits before it")
    for node in graph.nodes:
        if node.op == "placeholder":
            b.names[node] = "input"
            continue
        if node.op == "output" or node is removed:
            continue
        if node.op == "get_attr":
            raise UnsupportedOp(f"the model reads a parameter directly ({node.target}) outside a module")
        if node.op == "call_method" and node.target == "size":
            continue  # only feeds view(x.size(0), -1)
        scope = node.meta.get("camscope_scope", "")

        def name_of(base, scope=scope):
            return b.unique(f"{scope}.{base}" if scope else base)

        if node.op == "call_module":
            m = model.get_submodule(node.target)
            b.module(node, b.unique(node.target), m, b.inputs_of(node, node.args[:1], f"module {node.target}"))
            if len(node.args) != 1 or node.kwargs:
                raise UnsupportedOp(f"module {node.target}: called with more than one input")
        else:
            b.function(node, name_of, lambda args, node=node: b.inputs_of(node, args, node.name))
    # Aliases: the enclosing modules whose output a converted node's value is.
    by_name = {nd.name: nd for nd in b.nodes}
    for node, paths in tracer.outputs_of.items():
        if node not in b.names or b.names[node] == "input":
            continue
        nd = by_name[b.names[node]]
        for p in paths:
            if p and p not in b.used:
                nd.aliases.append(p)
                b.used.add(p)
    last = b.names[result]
    if b.nodes[-1].name != last:
        raise UnsupportedOp(f"the logits ({last}) are not computed last")
    if final == "sigmoid":
        nd = b.nodes[-1]
        shp = _shape(result)
        if nd.op != "linear" or shp is None or shp[-1] != 1:
            raise UnsupportedOp("a final sigmoid is supported after a Linear with one output only")
        # Two classes with logits -z/2 and z/2: softmax of them is sigmoid(z).
        w = b.tensors[f"{nd.name}.weight"]
        b.tensors[f"{nd.name}.weight"] = np.concatenate([-0.5 * w, 0.5 * w]).astype(np.float32)
        if nd.args["bias"]:
            bb = b.tensors[f"{nd.name}.bias"]
            b.tensors[f"{nd.name}.bias"] = np.concatenate([-0.5 * bb, 0.5 * bb]).astype(np.float32)
        nd.args["out"] = 2
        b.report.append(f"the single sigmoid output of {nd.name} became two classes with logits "
                        "-z/2 and z/2 (softmax of them is sigmoid(z))")
    return b.nodes, b.tensors, b.report, final
