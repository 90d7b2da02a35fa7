#!/usr/bin/env python3
"""Export a Keras image classifier to a camscope `.csw` graph (format version 2), without
TensorFlow: the file is read with h5py (Debian's python3-h5py).

  # the lab's model: keras.applications.VGG16(include_top=False) + its own head, saved with
  # model.save("vgg16_catsdogs.h5") (Keras 2 / tf.keras) or model.save("....keras") (Keras 3)
  /usr/bin/python3 tools/export_keras.py vgg16_catsdogs.h5 --classes cat,dog --out weights/lab_vgg16.csw
  # any other supported model: say how its pictures were preprocessed
  /usr/bin/python3 tools/export_keras.py model.keras --preprocess tf --out model.csw

Files: legacy HDF5 `.h5` (the `model_config` attribute + the `model_weights` group that
model.save writes; a weights-only file from save_weights has no architecture and is refused)
and Keras 3 `.keras` (a zip of config.json + model.weights.h5). Sequential and functional
models, nested models (a keras.applications base used as a layer) included.

Layers: InputLayer, Conv2D ('valid' / 'same', strides, dilation, groups, with or without bias,
a fused relu / relu6 / linear activation), Dense (on a flat vector; on a H x W x C tensor it
acts per position, a 1x1 conv), MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
GlobalMaxPooling2D, Flatten, BatchNormalization (channel axis; center / scale off too),
Dropout (and SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout: identity at
inference), Activation / ReLU (relu, relu6, ReLU(max_value)), Add, Concatenate (channels),
Rescaling on the picture (folded into the file's mean / std, no node), and a final softmax
or sigmoid (an activation, an Activation layer or a Softmax layer), which is removed: maps
use the logits; a single sigmoid output becomes two classes with logits
-z/2 and z/2 (softmax of them is sigmoid(z)). channels_last only (Keras's default;
channels_first is refused). Anything else is refused with a message naming the layer and
its class; a wrong file is never written.

Names: a node's output is addressed by its Keras layer name ("block5_conv3", "block5_pool",
"flatten"), as model.get_layer(NAME).output is in Keras Grad-CAM code. A Conv2D or Dense with
a fused activation is two nodes: "NAME/preact" (the convolution before its activation) and
"NAME" (after it, the layer's Keras output). Layers of a nested model keep their own names;
"MODEL/NAME" is an alias of each ("vgg16/block5_conv3"), and the nested model's name is an
alias of its output ("vgg16" = "block5_pool"). A name used twice gets the nested path. The
Flatten of a channels-last tensor is written as `flatten order=nhwc` (Keras's order,
y[(h*W + w)*C + c]), so the following Dense's weights are stored as they are, transposed.

Preprocessing (--preprocess; stored in the file, applied by the page and the CLI):
  caffe    keras.applications vgg16/vgg19/resnet50 preprocess_input: BGR, 0-255, minus the
           ImageNet mean [103.939, 116.779, 123.68] (B, G, R), no std
  tf       preprocess_input of mobilenet / inception / xception: x / 127.5 - 1
  torch    preprocess_input of densenet: x / 255, ImageNet mean / std, RGB
  rescale  ImageDataGenerator(rescale=1/255) or Rescaling(1/255) outside the model: x / 255
  raw      the 0-255 pixels as they are
A model built on VGG16 / VGG19 (their block1_conv1 ... block5_conv3 layers) defaults to caffe,
one that starts with a Rescaling to raw; any other model must say. --resize: nearest (default; keras.utils.load_img's default
interpolation, with which Keras pictures are usually loaded) or bilinear_aa.

Before writing, the graph the file describes (tools/csw.py run_graph, PyTorch) is checked
against an independent NumPy computation of the Keras model from its own config (channels-
last, HWIO kernels, Keras's padding rule, float64), logits and every named layer, 1e-4.
"""

import argparse
import io
import json
import math
import os
import re
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csw  # noqa: E402

# --preprocess presets: (channels, range, mean, std); the mean / std are in the tensor's
# channel order (for caffe: B, G, R).
PREPROCESS = {
    "caffe": ("bgr", 255, (103.939, 116.779, 123.68), (1.0, 1.0, 1.0)),
    "tf": ("rgb", 1, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "torch": ("rgb", 1, csw.IMAGENET_MEAN, csw.IMAGENET_STD),
    "rescale": ("rgb", 1, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    "raw": ("rgb", 255, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
}
DTYPE_ALIASES = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16", "int8": "i8", "i8": "i8"}
MODEL_CLASSES = ("Sequential", "Functional", "Model")
DROPOUTS = ("Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout")
SUPPORTED = ("InputLayer, Conv2D, Dense, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, "
             "GlobalMaxPooling2D, Flatten, BatchNormalization, Dropout, Activation, ReLU, Softmax, Add, "
             "Concatenate, Rescaling on the input, and nested Sequential / functional models")
FINAL_ACTIVATIONS = ("softmax", "sigmoid")
VGG_LAYERS = [f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for c in range(1, n + 1)]
MAX_MEMBER = 4 << 30  # bytes of one zip member read into memory
MAX_CONFIG = 64 << 20  # bytes of a model's JSON config
MAX_VALUES = 1 << 30  # values of one variable
MAX_WINDOW = 64  # kernel / stride / dilation / padding limit of the core's reader


class KerasError(csw.CswError):
    """A Keras file camscope cannot read, or a layer it cannot run."""


# --------------------------------------------------------------------------------------
# Reading the file: the model's config and each layer's variables


def snake_case(name):
    """Keras 3's naming.to_snake_case: the key a layer's variables are stored under in a
    .keras file (Conv2D -> conv2d, MaxPooling2D -> max_pooling2d)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _text(v):
    return v.decode("utf-8") if isinstance(v, (bytes, np.bytes_)) else str(v)


def _json(text, what):
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise KerasError(f"{what} is not JSON ({e})") from None


def _var_names(class_name, cfg):
    """The variables a layer stores, in Keras's order (trainable first, then the others)."""
    if class_name in ("Conv2D", "Dense"):
        return ["kernel"] + (["bias"] if cfg.get("use_bias", True) else [])
    if class_name == "BatchNormalization":
        return (["gamma"] if cfg.get("scale", True) else []) + (["beta"] if cfg.get("center", True) else []) + [
            "moving_mean", "moving_variance"]
    return []


def _read_array(ds, where):
    """A dataset as float32, refusing anything that is not a plain numeric array."""
    if not hasattr(ds, "shape") or not hasattr(ds, "dtype"):
        raise KerasError(f"{where}: not a dataset")
    if ds.dtype.kind not in "fiu":
        raise KerasError(f"{where}: {ds.dtype} values, not numbers")
    if ds.size > MAX_VALUES:
        raise KerasError(f"{where}: {ds.size} values (more than {MAX_VALUES})")
    arr = np.asarray(ds[()], dtype=np.float32)
    if not np.isfinite(arr).all():
        raise KerasError(f"{where}: non-finite values")
    return arr


class KerasFile:
    """A Keras model file: `config` (the model's {"class_name", "config"}), `fmt` ("h5" or
    "keras") and `variables(path)`, the variables of the layer at `path` (a list of
    (layer name, class name, config, index in its parent's layer list), outermost first)."""

    def __init__(self, path):
        import h5py

        self.path = path
        self._zip = None
        if zipfile.is_zipfile(path):
            self.fmt = "keras"
            self._zip = zipfile.ZipFile(path)
            names = self._zip.namelist()
            if "config.json" not in names:
                raise KerasError("a zip without config.json is not a Keras 3 .keras file")
            if "model.weights.h5" not in names:
                raise KerasError("no model.weights.h5 in the archive "
                                 f"({'npz weights are not supported' if 'model.weights.npz' in names else 'no weights'})")
            self.config = _json(self._member("config.json"), "config.json")
            try:
                self.h5 = h5py.File(io.BytesIO(self._member("model.weights.h5")), "r")
            except OSError as e:
                raise KerasError(f"model.weights.h5 in the archive is not an HDF5 file ({e})") from None
        else:
            try:
                self.h5 = h5py.File(path, "r")
            except OSError as e:
                raise KerasError(f"neither a Keras 3 .keras archive nor a readable HDF5 file (h5py: {e})") from None
            self.fmt = "h5"
            if "model_config" not in self.h5.attrs:
                raise KerasError("no model_config attribute: an HDF5 file of weights only "
                                 "(model.save_weights); save the whole model with model.save('model.h5')")
            text = _text(self.h5.attrs["model_config"])
            if len(text) > MAX_CONFIG:
                raise KerasError(f"model_config is larger than {MAX_CONFIG} bytes")
            self.config = _json(text, "model_config")
            self.weights_root = self.h5["model_weights"] if "model_weights" in self.h5 else self.h5
        if not isinstance(self.config, dict) or "class_name" not in self.config:
            raise KerasError("the model config is not a Keras model description")
        self.notes = []

    def _member(self, name):
        info = self._zip.getinfo(name)
        limit = MAX_CONFIG if name.endswith(".json") else MAX_MEMBER
        if info.file_size > limit:
            raise KerasError(f"{name} is {info.file_size} bytes (more than {limit})")
        return self._zip.read(name)

    def variables(self, path):
        """dict var name -> float32 array for the layer at `path`."""
        class_name, cfg = path[-1][1], path[-1][2]
        names = _var_names(class_name, cfg)
        if not names:
            return {}
        where = "/".join(p[0] for p in path)
        if self.fmt == "keras":
            arrays = self._keras3_vars(path, where)
        else:
            arrays = self._h5_vars(path, names, where)
        if len(arrays) != len(names):
            raise KerasError(f"layer {where} ({class_name}): {len(arrays)} stored variables, "
                             f"its config needs {len(names)} ({', '.join(names)})")
        return dict(zip(names, arrays))

    def _keras3_vars(self, path, where):
        # Keras 3 (saving_lib) stores a Sequential / functional model's layers under
        # layers/<snake_case(class name)>[_N]/vars/<i>, N counting earlier layers of the
        # same class in the parent's layer list; nested models nest the same way.
        # (Keras 2.13-2.15's .keras files say _layer_checkpoint_dependencies for layers.)
        key = ""
        for _, _, _, slot in path:
            attr = "layers"
            if f"{key}layers/{slot}" not in self.h5 and f"{key}_layer_checkpoint_dependencies/{slot}" in self.h5:
                attr = "_layer_checkpoint_dependencies"
            key += f"{attr}/{slot}/"
        key += "vars"
        if key not in self.h5:
            raise KerasError(f"layer {where}: no {key} in model.weights.h5")
        grp = self.h5[key]
        n = len(grp.keys())
        if sorted(grp.keys()) != sorted(str(i) for i in range(n)):
            raise KerasError(f"layer {where}: unexpected variable keys {sorted(grp.keys())} in {key}")
        return [_read_array(grp[str(i)], f"{key}/{i}") for i in range(n)]

    def _h5_vars(self, path, names, where):
        # Legacy HDF5: one group per top-level layer, its `weight_names` attribute lists
        # the variables ("block1_conv1/kernel:0"). A nested model's group holds all of its
        # layers' variables (trainable ones first): they are picked by layer name.
        top = path[0][0]
        if top not in self.weights_root:
            raise KerasError(f"layer {where}: no weights group {top!r} in the file")
        g = self.weights_root[top]
        wnames = [_text(n) for n in g.attrs.get("weight_names", [])]
        if len(path) == 1:
            return [_read_array(g[n], f"{top}/{n}") for n in wnames]
        layer = path[-1][0]

        def parts(n):
            return n.split(":")[0].split("/")

        mine = [n for n in wnames if len(parts(n)) >= 2 and parts(n)[-2] == layer]
        if mine:
            by_var = {parts(n)[-1]: n for n in mine}
            if set(by_var) != set(names) or len(mine) != len(names):
                raise KerasError(f"layer {where}: stored variables {mine}, expected {names}")
            return [_read_array(g[by_var[v]], f"{top}/{by_var[v]}") for v in names]
        # Names that do not carry the layer's name (renamed scopes): Keras's own order, which
        # is either the nested model's trainable variables, layer by layer, then the others, or
        # (a frozen model) all variables layer by layer; the stored shapes must tell which.
        fits = [o for o in self._legacy_orders(path[0]) if self._order_fits(o, g, wnames)]
        if len({tuple((tuple(p), v) for p, v, _ in o) for o in fits}) != 1:
            raise KerasError(f"layer {where}: cannot tell which stored variables of nested model {top} are its "
                             f"(the weight names {', '.join(wnames[:3])} ... do not carry the layer names); "
                             "re-save the model as .keras")
        if not getattr(self, "_noted_order", False):
            self.notes.append(f"the weights of nested model {top} are assigned in Keras's order (their "
                              "names do not carry the layer names)")
            self._noted_order = True
        inner = [p[0] for p in path[1:]]
        out = [wnames[i] for i, (lpath, _, _) in enumerate(fits[0]) if lpath == inner]
        return [_read_array(g[n], f"{top}/{n}") for n in out]

    @staticmethod
    def _legacy_orders(top):
        """The two orders tf.keras may list a nested model's variables in: [(layer path inside
        `top`, var, layer config)], trainable ones first (the model trainable) or all layer by
        layer (the model frozen)."""
        trainable, frozen, plain = [], [], []

        def walk(cfg_entry, prefix, on):
            cls, cfg = cfg_entry["class_name"], cfg_entry.get("config", {})
            on = on and cfg.get("trainable", True)
            if cls in MODEL_CLASSES:
                for sub in _layer_list(cls, cfg):
                    walk(sub, prefix + [_layer_name(sub)], on)
                return
            for v in _var_names(cls, cfg):
                item = (prefix, v, (cls, cfg))
                plain.append(item)
                (trainable if on and not v.startswith("moving_") else frozen).append(item)

        walk({"class_name": top[1], "config": top[2]}, [], True)
        return [trainable + frozen, plain]

    @staticmethod
    def _order_fits(order, g, wnames):
        """True if the stored variables have the shapes this order implies."""
        if len(order) != len(wnames):
            return False
        for (_, var, (cls, cfg)), n in zip(order, wnames):
            shape = g[n].shape if n in g else None
            if shape is None:
                return False
            width = cfg.get("filters") or cfg.get("units")
            if var == "kernel" and (len(shape) != (4 if cls == "Conv2D" else 2) or shape[-1] != width):
                return False
            if var == "bias" and tuple(shape) != (width,):
                return False
            if var in ("gamma", "beta", "moving_mean", "moving_variance") and len(shape) != 1:
                return False
        return True


def _layer_name(entry):
    return entry.get("name") or entry.get("config", {}).get("name")


def _layer_list(cls, cfg):
    """A model config's layer entries (a Keras 2.0 Sequential config may be the bare list)."""
    layers = cfg if isinstance(cfg, list) else cfg.get("layers", [])
    if not isinstance(layers, list):
        raise KerasError(f"a {cls} config without a layer list")
    return layers


def _inbound_calls(entry):
    """Each call of a functional model's layer: the list of (layer name, tensor index) it
    reads. Keras 2 / TF.js: [[name, node, tensor, kwargs], ...] per call; Keras 3:
    {"args": [...], "kwargs": {...}} with __keras_tensor__ objects."""
    calls = []
    for node in entry.get("inbound_nodes", []) or []:
        refs = []
        if isinstance(node, dict):
            def walk(v):
                if isinstance(v, dict):
                    if v.get("class_name") == "__keras_tensor__":
                        h = v.get("config", {}).get("keras_history")
                        refs.append((h[0], int(h[2])))
                        return
                    for x in v.values():
                        walk(x)
                elif isinstance(v, (list, tuple)):
                    for x in v:
                        walk(x)

            walk(node.get("args", []))
        else:
            for ref in node:
                refs.append((ref[0], int(ref[2])))
        calls.append(refs)
    return calls


def _io_refs(v):
    """input_layers / output_layers: [name, node, tensor] or a list of them."""
    if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str):
        return [(v[0], int(v[2]))]
    return [(r[0], int(r[2])) for r in v]


def _batch_shape(cls, cfg):
    for k in ("batch_input_shape", "batch_shape"):
        if cfg.get(k) is not None:
            return list(cfg[k])
    return None


def _data_format(where, cfg):
    fmt = cfg.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise KerasError(f"{where}: data_format={fmt} (camscope reads channels_last models, Keras's "
                         "default; rebuild the model channels_last and copy the weights)")


def _pair(v):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(i) for i in v)
    return (v[0], v[0]) if len(v) == 1 else v


def _activation(v):
    if v is None:
        return "linear"
    if isinstance(v, dict):  # a serialized function object (Keras 3)
        v = v.get("config", {}).get("name") or v.get("class_name")
    return str(v)


def _same_pads(n, k, s, d):
    """TensorFlow's 'same' padding along one axis: (before, after)."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


# --------------------------------------------------------------------------------------
# Keras model -> camscope graph


class Value:
    """A Keras tensor during conversion: the camscope node holding it, its shape as
    (C, H, W), whether Keras sees it as a flat vector, and a pending final activation."""

    def __init__(self, node, shape, flat=False, pending=None):
        self.node, self.shape, self.flat, self.pending = node, tuple(shape), flat, pending


class Builder:
    """Turns a Keras model config + its variables into NodeSpecs and tensors."""

    def __init__(self, kf):
        self.kf = kf
        self.nodes = []
        self.tensors = {}
        self.used = {"input"}
        self.report = []
        self.rescale = None  # (scale, offset, layer name) of a Rescaling on the input

    def unique(self, name, path):
        """`name`, or its nested path ("vgg16/block5_conv3") if taken, or that with "#2"...;
        spaces and commas (which the format does not allow in names) become "_"."""
        name = re.sub(r"[\s,]", "_", name)
        if name not in self.used:
            self.used.add(name)
            return name
        alt = re.sub(r"[\s,]", "_", "/".join(path))
        if alt not in self.used:
            self.used.add(alt)
            return alt
        i = 2
        while f"{alt}#{i}" in self.used:
            i += 1
        self.used.add(f"{alt}#{i}")
        return f"{alt}#{i}"

    def alias(self, node_name, alias):
        """Adds `alias` to node `node_name` unless the name is taken."""
        alias = re.sub(r"[\s,]", "_", alias)
        if alias in self.used:
            return
        self.used.add(alias)
        next(nd for nd in self.nodes if nd.name == node_name).aliases.append(alias)

    def add(self, name, op, inputs, args=None, tensors=None):
        """Appends a node reading `inputs` (Values) and its tensors; returns its name."""
        self.nodes.append(csw.NodeSpec(name, op, [v.node for v in inputs], dict(args or {})))
        for k, t in (tensors or {}).items():
            self.tensors[f"{name}.{k}"] = np.ascontiguousarray(t, dtype=np.float32)
        return name

    # --- models ------------------------------------------------------------------------

    def model(self, entry, inputs, path, wpath):
        """Outputs (list of Value) of a Sequential / functional model config applied to
        `inputs`; `path` names it (for messages and aliases), `wpath` locates its weights."""
        cls, cfg = entry["class_name"], entry.get("config", {})
        where = "/".join(path) or "the model"
        layers = _layer_list(cls, cfg)
        slots = self._slots(layers)
        if cls == "Sequential":
            v = inputs[0]
            for i, sub in enumerate(layers):
                if sub.get("class_name") == "InputLayer":
                    continue
                v = self.layer(sub, [v], path, wpath, slots[i])[0]
            return [v]
        if "input_layers" not in cfg or "output_layers" not in cfg:
            raise KerasError(f"{where}: a {cls} config without input_layers / output_layers "
                             "(a subclassed model: camscope needs a Sequential or functional model)")
        values = {}
        in_refs = _io_refs(cfg["input_layers"])
        if len(in_refs) != len(inputs):
            raise KerasError(f"{where}: {len(in_refs)} inputs (camscope feeds one picture)")
        for (name, _), v in zip(in_refs, inputs):
            values[name] = [v]
        pending = [(i, sub) for i, sub in enumerate(layers) if _layer_name(sub) not in values]
        while pending:
            left = []
            for i, sub in pending:
                lname = _layer_name(sub)
                calls = _inbound_calls(sub)
                if sub.get("class_name") == "InputLayer":
                    raise KerasError(f"{where}: input layer {lname} is not the model's input")
                if len(calls) > 1:
                    raise KerasError(f"layer {'/'.join(path + [lname])} ({sub.get('class_name')}) is called "
                                     f"{len(calls)} times (shared weights): not supported")
                if not calls:
                    continue  # not connected to this model's graph
                refs = calls[0]
                if not all(r[0] in values for r in refs):
                    left.append((i, sub))
                    continue
                ins = []
                for r, t in refs:
                    if t >= len(values[r]):
                        raise KerasError(f"layer {lname}: reads output {t} of {r}, which has {len(values[r])}")
                    ins.append(values[r][t])
                values[lname] = self.layer(sub, ins, path, wpath, slots[i])
            if len(left) == len(pending):
                raise KerasError(f"{where}: layers {', '.join(_layer_name(s) for _, s in left[:5])} read "
                                 "tensors no layer produces")
            pending = left
        outs = []
        for name, t in _io_refs(cfg["output_layers"]):
            if name not in values or t >= len(values[name]):
                raise KerasError(f"{where}: output {name} is not computed")
            outs.append(values[name][t])
        return outs

    @staticmethod
    def _slots(layers):
        """Keras 3's weight key of each layer of a list (snake_case class name, _N)."""
        seen, out = {}, []
        for sub in layers:
            base = snake_case(sub.get("class_name", "layer"))
            if base in seen:
                seen[base] += 1
                out.append(f"{base}_{seen[base]}")
            else:
                seen[base] = 0
                out.append(base)
        return out

    # --- layers ------------------------------------------------------------------------

    def layer(self, entry, ins, path, wpath, slot):
        """Outputs (list of Value) of one layer entry applied to `ins`. Inside a nested model,
        the node holding a layer's output also gets the alias "MODEL/NAME"."""
        before = len(self.nodes)
        outs = self._layer(entry, ins, path, wpath, slot)
        lpath = path + [_layer_name(entry)]
        if path and len(self.nodes) > before and entry.get("class_name") not in MODEL_CLASSES:
            node = outs[0].node
            if node == self.nodes[-1].name and node != "/".join(lpath):
                self.alias(node, "/".join(lpath))
        return outs

    def _layer(self, entry, ins, path, wpath, slot):
        cls, cfg = entry.get("class_name"), entry.get("config", {})
        lname = _layer_name(entry)
        lpath = path + [lname]
        where = f"layer {'/'.join(lpath)} ({cls})"
        me = wpath + [(lname, cls, cfg, slot)]
        for v in ins:
            if v.pending:
                raise KerasError(f"{where} reads the output of a {v.pending[0]} ({v.pending[1]}); camscope "
                                 f"removes a {v.pending[0]} only as the model's last operation")
        if cls in MODEL_CLASSES:
            outs = self.model(entry, ins, lpath, me)
            if len(outs) != 1:
                raise KerasError(f"{where}: a nested model with {len(outs)} outputs")
            if not outs[0].pending and outs[0].node != "input":
                self.alias(outs[0].node, lname)
                if path:
                    self.alias(outs[0].node, "/".join(lpath))
            return outs
        if len(ins) != 1 and cls not in ("Add", "Concatenate"):
            raise KerasError(f"{where}: {len(ins)} inputs")
        x = ins[0]
        c, h, w = x.shape
        name = None

        def node_name():
            return self.unique(lname, lpath)

        if cls == "InputLayer":
            return [x]
        if cls == "Conv2D":
            _data_format(where, cfg)
            if cfg.get("padding") not in ("valid", "same"):
                raise KerasError(f"{where}: padding={cfg.get('padding')!r} (valid or same)")
            if x.flat:
                raise KerasError(f"{where}: applied to a flat vector")
            kh, kw = _pair(cfg["kernel_size"])
            sh, sw = _pair(cfg.get("strides", 1))
            dh, dw = _pair(cfg.get("dilation_rate", 1))
            g = int(cfg.get("groups", 1) or 1)
            cout = int(cfg["filters"])
            var = self.kf.variables(me)
            kern = var["kernel"]
            if kern.shape != (kh, kw, c // g, cout) or c % g:
                raise KerasError(f"{where}: kernel of shape {kern.shape} for {c} input channels "
                                 f"(expected {(kh, kw, c // g, cout)})")
            if cfg["padding"] == "same":
                (pt, pb), (pl, pr) = _same_pads(h, kh, sh, dh), _same_pads(w, kw, sw, dw)
            else:
                pt = pb = pl = pr = 0
            t = {"weight": kern.transpose(3, 2, 0, 1)}
            if "bias" in var:
                t["bias"] = var["bias"]
            args = {"cin": c, "cout": cout, "k": (kh, kw), "s": (sh, sw), "p": (pt, pl, pb, pr), "d": (dh, dw),
                    "g": g, "bias": int("bias" in var)}
            oh = csw._window_out(h, kh, sh, pt, pb, dh, False)
            ow = csw._window_out(w, kw, sw, pl, pr, dw, False)
            return [self.fused(where, lname, lpath, cfg, "conv", x, args, t, (cout, oh, ow), False)]
        if cls == "Dense":
            units = int(cfg["units"])
            var = self.kf.variables(me)
            kern = var["kernel"]
            if kern.shape != (c, units):
                raise KerasError(f"{where}: kernel of shape {kern.shape} for {c} inputs (expected {(c, units)})")
            t = {"weight": kern.T}
            if "bias" in var:
                t["bias"] = var["bias"]
            if (h, w) == (1, 1):
                args = {"in": c, "out": units, "bias": int("bias" in var)}
                return [self.fused(where, lname, lpath, cfg, "linear", x, args, t, (units, 1, 1), x.flat)]
            # Dense on a H x W x C tensor acts on each position: a 1x1 convolution.
            t["weight"] = t["weight"][:, :, None, None]
            args = {"cin": c, "cout": units, "k": (1, 1), "bias": int("bias" in var)}
            return [self.fused(where, lname, lpath, cfg, "conv", x, args, t, (units, h, w), False)]
        if cls in ("MaxPooling2D", "AveragePooling2D"):
            _data_format(where, cfg)
            if x.flat:
                raise KerasError(f"{where}: applied to a flat vector")
            kh, kw = _pair(cfg.get("pool_size", 2))
            sh, sw = _pair(cfg.get("strides") or (kh, kw))
            pad = cfg.get("padding", "valid")
            if pad == "same":
                (pt, pb), (pl, pr) = _same_pads(h, kh, sh, 1), _same_pads(w, kw, sw, 1)
            elif pad == "valid":
                pt = pb = pl = pr = 0
            else:
                raise KerasError(f"{where}: padding={pad!r}")
            args = {"k": (kh, kw), "s": (sh, sw), "p": (pt, pl, pb, pr)}
            op = "maxpool" if cls == "MaxPooling2D" else "avgpool"
            if op == "avgpool":
                args["include_pad"] = 0  # TensorFlow averages over the window's real pixels
            oh, ow = csw._window_out(h, kh, sh, pt, pb, 1, False), csw._window_out(w, kw, sw, pl, pr, 1, False)
            name = self.add(node_name(), op, [x], args)
            return [Value(name, (c, oh, ow))]
        if cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            _data_format(where, cfg)
            flat = not cfg.get("keepdims", False)
            if cls == "GlobalAveragePooling2D":
                name = self.add(node_name(), "adaptiveavgpool", [x], {"out": (1, 1)})
            else:
                name = self.add(node_name(), "maxpool", [x], {"k": (h, w), "s": (h, w)})
            return [Value(name, (c, 1, 1), flat=flat)]
        if cls == "Flatten":
            _data_format(where, cfg)
            if x.flat or (h, w) == (1, 1):
                name = self.add(node_name(), "identity", [x])
            else:
                name = self.add(node_name(), "flatten", [x], {"order": "nhwc"})
            return [Value(name, (c * h * w, 1, 1), flat=True)]
        if cls == "BatchNormalization":
            axis = cfg.get("axis", -1)
            if isinstance(axis, list):
                axis = axis[0] if len(axis) == 1 else None
            if axis not in (-1, 1 if x.flat else 3):
                raise KerasError(f"{where}: axis={cfg.get('axis')} (only the channel axis, -1)")
            var = self.kf.variables(me)
            for k, v in var.items():
                if v.shape != (c,):
                    raise KerasError(f"{where}: {k} of shape {v.shape} for {c} channels")
            t = {"weight": var.get("gamma", np.ones(c, np.float32)), "bias": var.get("beta", np.zeros(c, np.float32)),
                 "running_mean": var["moving_mean"], "running_var": var["moving_variance"]}
            name = self.add(node_name(), "batchnorm", [x], {"c": c, "eps": float(cfg.get("epsilon", 1e-3))}, t)
            return [Value(name, x.shape, x.flat)]
        if cls in DROPOUTS:
            return [Value(self.add(node_name(), "dropout", [x]), x.shape, x.flat)]
        if cls == "Activation":
            return [self.activation(where, lname, lpath, _activation(cfg.get("activation")), x)]
        if cls == "ReLU":
            mx = cfg.get("max_value")
            if float(cfg.get("negative_slope", 0) or 0) != 0 or float(cfg.get("threshold", 0) or 0) != 0:
                raise KerasError(f"{where}: negative_slope / threshold (only a plain or capped ReLU)")
            if mx is None:
                return [self.activation(where, lname, lpath, "relu", x)]
            if float(mx) == 6.0:
                return [self.activation(where, lname, lpath, "relu6", x)]
            name = self.add(node_name(), "clip", [x], {"lo": 0.0, "hi": float(mx)})
            return [Value(name, x.shape, x.flat)]
        if cls == "Softmax":
            return [self.activation(where, lname, lpath, "softmax", x)]
        if cls == "Rescaling":
            # On the picture itself it is part of the preprocessing (x * scale + offset after
            # it): folded into the file's mean / std, no node.
            if x.node != "input" or self.rescale is not None:
                raise KerasError(f"{where}: a Rescaling is supported on the model's input only (it is folded "
                                 "into the preprocessing)")
            scale, offset = cfg.get("scale", 1.0), cfg.get("offset", 0.0)
            per = [np.broadcast_to(np.asarray(v, np.float64).reshape(-1), (c,)) for v in (scale, offset)]
            if not (per[0] > 0).all():
                raise KerasError(f"{where}: scale {scale} (camscope needs a positive scale)")
            self.rescale = (per[0], per[1], lname)
            return [x]
        if cls in ("Add", "Concatenate"):
            if len(ins) < 2:
                raise KerasError(f"{where}: needs two or more inputs")
            if cls == "Add":
                if any(v.shape != x.shape for v in ins):
                    raise KerasError(f"{where}: inputs of different shapes {[v.shape for v in ins]}")
                name = self.add(node_name(), "add", ins)
                return [Value(name, x.shape, x.flat)]
            axis = cfg.get("axis", -1)
            if axis not in (-1, 1 if x.flat else 3) or any(v.flat != x.flat for v in ins):
                raise KerasError(f"{where}: axis={axis} (only the channel axis, -1)")
            if any(v.shape[1:] != x.shape[1:] for v in ins):
                raise KerasError(f"{where}: inputs of different heights / widths {[v.shape for v in ins]}")
            name = self.add(node_name(), "concat", ins)
            return [Value(name, (sum(v.shape[0] for v in ins), h, w), x.flat)]
        raise KerasError(f"{where}: camscope cannot run a {cls} layer (supported: {SUPPORTED})")

    def fused(self, where, lname, lpath, cfg, op, x, args, t, shape, flat):
        """A Conv2D / Dense with its activation: one node, or "NAME/preact" + "NAME"."""
        act = _activation(cfg.get("activation"))
        if act == "linear":
            return Value(self.add(self.unique(lname, lpath), op, [x], args, t), shape, flat)
        if act not in ("relu", "relu6") + FINAL_ACTIVATIONS:
            raise KerasError(f"{where}: activation {act!r} (supported: relu, relu6, linear, and a final "
                             "softmax / sigmoid)")
        if act in FINAL_ACTIVATIONS:  # the layer's own name holds its logits
            v = Value(self.add(self.unique(lname, lpath), op, [x], args, t), shape, flat)
            v.pending = (act, lname)
            return v
        pre = self.add(self.unique(f"{lname}/preact", lpath[:-1] + [f"{lname}/preact"]), op, [x], args, t)
        return self.activation(where, lname, lpath, act, Value(pre, shape, flat))

    def activation(self, where, lname, lpath, act, x):
        if act in FINAL_ACTIVATIONS:
            return Value(x.node, x.shape, x.flat, pending=(act, lname))
        ops = {"relu": "relu", "relu6": "relu6", "linear": "identity"}
        if act not in ops:
            raise KerasError(f"{where}: activation {act!r} (supported: relu, relu6, linear, and a final "
                             "softmax / sigmoid)")
        return Value(self.add(self.unique(lname, lpath), ops[act], [x]), x.shape, x.flat)


def model_input_shape(config):
    """(H, W, C) the model declares (None where it leaves a size open), or None."""
    cls, cfg = config["class_name"], config.get("config", {})
    layers = _layer_list(cls, cfg)
    if cls == "Sequential":
        for k in ("build_input_shape",):
            if isinstance(cfg, dict) and cfg.get(k):
                return tuple(cfg[k][1:])
        if layers:
            first = layers[0]
            s = _batch_shape(first.get("class_name"), first.get("config", {}))
            if s:
                return tuple(s[1:])
            if first.get("class_name") in MODEL_CLASSES:
                return model_input_shape(first)
        return None
    refs = _io_refs(cfg.get("input_layers", []))
    for sub in layers:
        if refs and _layer_name(sub) == refs[0][0]:
            s = _batch_shape(sub.get("class_name"), sub.get("config", {}))
            return tuple(s[1:]) if s else None
    return None


def all_layer_names(config):
    """Every layer name in the model, nested models included."""
    out = []

    def walk(entry):
        cls, cfg = entry.get("class_name"), entry.get("config", {})
        if cls in MODEL_CLASSES:
            for sub in _layer_list(cls, cfg):
                out.append(_layer_name(sub))
                walk(sub)

    walk(config)
    return out


def graph_of(kf, input_hw=None):
    """(nodes, tensors, report, final, (C, H, W)) of a Keras file: NodeSpecs in topological
    order (the last one the logits), float32 tensors, what was removed or changed, the
    removed final activation ("softmax", "sigmoid" or None) and the input shape."""
    config = kf.config
    if config.get("class_name") not in MODEL_CLASSES:
        raise KerasError(f"the file holds a {config.get('class_name')}, not a Sequential or functional model")
    declared = model_input_shape(config)
    if declared is None or len(declared) != 3:
        raise KerasError(f"the model declares no H x W x C input ({declared}); camscope needs a 4-d image input")
    h, w, c = declared
    if input_hw:
        if (h is not None and h != input_hw[0]) or (w is not None and w != input_hw[1]):
            raise KerasError(f"--input-size {input_hw[0]},{input_hw[1]}: the model declares {h}x{w}")
        h, w = input_hw
    if h is None or w is None:
        raise KerasError("the model's input size is open (None x None): say it with --input-size H,W")
    if c != 3:
        raise KerasError(f"the model reads {c} channels; camscope feeds RGB pictures (3 channels)")
    b = Builder(kf)
    outs = b.model(config, [Value("input", (c, h, w))], [], [])
    if len(outs) != 1:
        raise KerasError(f"the model has {len(outs)} outputs; camscope needs one tensor of class scores")
    out = outs[0]
    if out.node == "input":
        raise KerasError("the model computes nothing")
    if out.shape[1:] != (1, 1):
        raise KerasError(f"the model's output is {out.shape[1]}x{out.shape[2]}x{out.shape[0]}, not a vector of "
                         "class scores")
    # Drop nodes the output does not depend on (branches of a functional model left unused).
    need, by_name = {out.node}, {nd.name: nd for nd in b.nodes}
    for nd in reversed(b.nodes):
        if nd.name in need:
            need.update(nd.inputs)
    dropped = [nd.name for nd in b.nodes if nd.name not in need]
    if dropped:
        b.report.append(f"left out {len(dropped)} node(s) the output does not depend on: {', '.join(dropped[:5])}")
        b.nodes = [nd for nd in b.nodes if nd.name in need]
        b.tensors = {k: v for k, v in b.tensors.items() if k.rsplit(".", 1)[0] in need}
    if b.nodes[-1].name != out.node:
        raise KerasError(f"the logits ({out.node}) are not computed last")
    for nd in b.nodes:  # the core's reader takes windows, strides, dilations, pads up to 64
        for key in ("k", "s", "d", "p"):
            v = nd.args.get(key)
            if v is not None and max(v if isinstance(v, tuple) else (v,)) > MAX_WINDOW:
                raise KerasError(f"node {nd.name} ({nd.op}): {key}={v} is larger than camscope's limit {MAX_WINDOW}")
    final = None
    if out.pending:
        final, src = out.pending
        nd = by_name[out.node]
        if final == "softmax":
            b.report.append(f"removed the final softmax (of layer {src}): node {nd.name} holds the logits before "
                            "it, which the maps use")
        else:
            if nd.op != "linear" or nd.args["out"] != 1:
                raise KerasError(f"a final sigmoid ({src}) is supported after a Dense with one output only")
            wt = b.tensors[f"{nd.name}.weight"]
            b.tensors[f"{nd.name}.weight"] = np.concatenate([-0.5 * wt, 0.5 * wt]).astype(np.float32)
            if nd.args["bias"]:
                bb = b.tensors[f"{nd.name}.bias"]
                b.tensors[f"{nd.name}.bias"] = np.concatenate([-0.5 * bb, 0.5 * bb]).astype(np.float32)
            nd.args["out"] = 2
            b.report.append(f"removed the final sigmoid (of layer {src}): its single output z became two classes "
                            f"with logits -z/2 and z/2 at node {nd.name} (softmax of them is sigmoid(z); class 1 is "
                            "the sigmoid's)")
    b.report.extend(kf.notes)
    return b.nodes, b.tensors, b.report, final, (c, h, w), b.rescale


def fold_rescale(mean, std, rescale):
    """mean / std of the preprocessing followed by a Rescaling: a * (x - m) / s + b is
    (x - (m - b * s / a)) / (s / a)."""
    a, b, _ = rescale
    return [m - bb * s / aa for m, s, aa, bb in zip(mean, std, a, b)], [s / aa for s, aa in zip(std, a)]


# --------------------------------------------------------------------------------------
# The check: an independent NumPy computation of the Keras model (channels-last, float64)


def _np_act(name, x):
    if name in ("linear", None):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "relu6":
        return np.clip(x, 0, 6)
    if name == "softmax":
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    raise KerasError(f"activation {name!r}")


def _np_pad(x, k, s, d, mode, value=0.0):
    """Pads an NHWC batch for Keras's padding mode (TensorFlow's 'same' rule)."""
    if mode == "valid":
        return x
    pads = []
    for n, kk, ss, dd in zip(x.shape[1:3], k, s, d):
        out = math.ceil(n / ss)
        total = max((out - 1) * ss + (kk - 1) * dd + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _np_windows(x, k, s, d):
    """(N, OH, OW, C, KH, KW) windows of an NHWC batch (a view)."""
    span = ((k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1)
    v = np.lib.stride_tricks.sliding_window_view(x, span, axis=(1, 2))
    return v[:, ::s[0], ::s[1], :, ::d[0], ::d[1]]


class NumpyKeras:
    """Runs a Keras model config on NHWC float64 inputs as Keras defines each layer; keeps
    every layer's output (by layer name) and the output before a final softmax / sigmoid."""

    def __init__(self, kf):
        self.kf = kf
        self.out = {}
        self.logits = None

    def run(self, x):
        y = self.model(self.kf.config, x, [])
        return y

    def model(self, entry, x, wpath):
        cls, cfg = entry["class_name"], entry.get("config", {})
        layers = _layer_list(cls, cfg)
        slots = Builder._slots(layers)
        if cls == "Sequential":
            for sub, slot in zip(layers, slots):
                if sub.get("class_name") != "InputLayer":
                    x = self.layer(sub, [x], wpath, slot)
            return x
        vals = {_io_refs(cfg["input_layers"])[0][0]: x}
        todo = [(sub, slot) for sub, slot in zip(layers, slots) if _layer_name(sub) not in vals]
        while todo:
            rest = []
            for sub, slot in todo:
                calls = _inbound_calls(sub)
                if not calls:
                    continue
                if all(r in vals for r, _ in calls[0]):
                    vals[_layer_name(sub)] = self.layer(sub, [vals[r] for r, _ in calls[0]], wpath, slot)
                else:
                    rest.append((sub, slot))
            if len(rest) == len(todo):
                raise KerasError("the reference cannot order the layers")
            todo = rest
        return vals[_io_refs(cfg["output_layers"])[0][0]]

    def layer(self, entry, ins, wpath, slot):
        cls, cfg = entry["class_name"], entry.get("config", {})
        name = _layer_name(entry)
        me = wpath + [(name, cls, cfg, slot)]
        x = ins[0]
        act = "linear"
        if cls in MODEL_CLASSES:
            y = self.model(entry, x, me)
        elif cls in ("Conv2D", "Dense"):
            var = {k: v.astype(np.float64) for k, v in self.kf.variables(me).items()}
            kern = var["kernel"]
            if cls == "Dense":
                y = x @ kern
            else:
                k, s, d = _pair(cfg["kernel_size"]), _pair(cfg.get("strides", 1)), _pair(cfg.get("dilation_rate", 1))
                win = _np_windows(_np_pad(x, k, s, d, cfg["padding"]), k, s, d)
                g = int(cfg.get("groups", 1) or 1)
                cin, cout = kern.shape[2], kern.shape[3]
                parts = []
                for gi in range(g):
                    wg = win[:, :, :, gi * cin:(gi + 1) * cin]
                    kg = kern[:, :, :, gi * (cout // g):(gi + 1) * (cout // g)]
                    parts.append(np.tensordot(wg, kg, axes=([3, 4, 5], [2, 0, 1])))
                y = np.concatenate(parts, axis=-1)
            if "bias" in var:
                y = y + var["bias"]
            act = _activation(cfg.get("activation"))
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            k = _pair(cfg.get("pool_size", 2))
            s = _pair(cfg.get("strides") or k)
            pad = cfg.get("padding", "valid")
            if cls == "MaxPooling2D":
                y = _np_windows(_np_pad(x, k, s, (1, 1), pad, -np.inf), k, s, (1, 1)).max(axis=(4, 5))
            else:
                tot = _np_windows(_np_pad(x, k, s, (1, 1), pad), k, s, (1, 1)).sum(axis=(4, 5))
                ones = _np_pad(np.ones(x.shape[:3] + (1,)), k, s, (1, 1), pad)
                y = tot / _np_windows(ones, k, s, (1, 1)).sum(axis=(4, 5))
        elif cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            y = x.mean(axis=(1, 2), keepdims=bool(cfg.get("keepdims"))) if cls == "GlobalAveragePooling2D" \
                else x.max(axis=(1, 2), keepdims=bool(cfg.get("keepdims")))
        elif cls == "Flatten":
            y = x.reshape(x.shape[0], -1)
        elif cls == "BatchNormalization":
            var = {k: v.astype(np.float64) for k, v in self.kf.variables(me).items()}
            y = (x - var["moving_mean"]) / np.sqrt(var["moving_variance"] + float(cfg.get("epsilon", 1e-3)))
            y = y * var.get("gamma", 1.0) + var.get("beta", 0.0)
        elif cls in DROPOUTS:
            y = x
        elif cls in ("Activation", "Softmax"):
            y, act = x, "softmax" if cls == "Softmax" else _activation(cfg.get("activation"))
        elif cls == "ReLU":
            y = np.maximum(x, 0) if cfg.get("max_value") is None else np.clip(x, 0, float(cfg["max_value"]))
        elif cls == "Rescaling":
            y = x * np.asarray(cfg.get("scale", 1.0), np.float64) + np.asarray(cfg.get("offset", 0.0), np.float64)
        elif cls == "Add":
            y = sum(ins[1:], ins[0])
        elif cls == "Concatenate":
            y = np.concatenate(ins, axis=-1)
        else:
            raise KerasError(f"the reference has no {cls}")
        if act in FINAL_ACTIVATIONS:
            self.logits = y  # only kept when it is the model's output
        y = _np_act(act, y)
        self.out[name] = y
        return y


def check_graph(kf, blob, final, rescale=None, seed=0):
    """Largest relative difference between the written graph (csw.run_graph, float32) and
    the NumPy computation of the Keras model (float64): logits (before a removed softmax / sigmoid),
    probabilities, and every node named by a Keras layer. A Rescaling folded into the
    preprocessing is applied to the graph's input here."""
    import torch

    f = csw.read_csw(blob)
    c, h, w = f.input
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, h, w, c))
    ref = NumpyKeras(kf)
    probs = ref.run(x)
    xg = x * rescale[0] + rescale[1] if rescale is not None else x
    # The graph in float32 (PyTorch's float64 convolutions take a minute for VGG16 at 224).
    got, vals = csw.run_graph(f, torch.from_numpy(xg.transpose(0, 3, 1, 2).astype(np.float32)), keep=True)
    got = got.numpy()
    want = ref.logits if final else probs
    if final == "sigmoid":
        want = np.concatenate([-0.5 * want, 0.5 * want], axis=1)
    want = want.reshape(got.shape)

    def rel(a, b):
        return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))

    worst = {"logits": rel(got, want)}
    names = {n: nd.name for nd in f.nodes for n in [nd.name] + nd.aliases}
    for lname, arr in ref.out.items():
        node = names.get(lname)
        if node is None or node == f.nodes[-1].name and final:
            continue
        mine = vals[node].numpy()
        theirs = arr.transpose(0, 3, 1, 2) if arr.ndim == 4 else arr.reshape(arr.shape[0], -1, 1, 1)
        if mine.shape != theirs.shape:
            worst[lname] = float("inf")
            continue
        worst[lname] = rel(mine, theirs)
    return worst


# --------------------------------------------------------------------------------------


def floats(text, what):
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise SystemExit(f"error: --{what} wants comma-separated numbers, not {text!r}") from None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="Keras model file: .h5 (model.save, legacy HDF5) or .keras (Keras 3)")
    ap.add_argument("--out", required=True, help="output .csw file")
    ap.add_argument("--dtype", default="f32", choices=sorted(DTYPE_ALIASES), help="conv/dense weight type (default f32)")
    ap.add_argument("--classes", help="comma-separated class names in class-index order (Keras's "
                    "flow_from_directory: the folder names sorted)")
    ap.add_argument("--name", help="network name (one token; default: the output file's stem)")
    ap.add_argument("--preprocess", choices=sorted(PREPROCESS),
                    help="how the model's pictures were preprocessed (default for VGG16/VGG19 bases: caffe)")
    ap.add_argument("--resize", default="nearest", choices=csw.RESIZE_RULES,
                    help="picture resize rule (default nearest: keras.utils.load_img's default)")
    ap.add_argument("--input-size", help="H,W for a model whose input size is open (None)")
    ap.add_argument("--no-check", action="store_true", help="skip the comparison with the NumPy computation")
    a = ap.parse_args(argv)

    try:
        import h5py  # noqa: F401
    except ImportError:
        raise SystemExit("error: reading Keras files needs h5py (Debian: apt-get install python3-h5py)") from None
    try:
        kf = KerasFile(a.model)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise SystemExit(f"error: {a.model}: {e}") from None
    input_hw = tuple(int(v) for v in floats(a.input_size, "input-size")) if a.input_size else None
    if input_hw is not None and len(input_hw) != 2:
        raise SystemExit("error: --input-size wants H,W")
    try:
        nodes, tensors, report, final, shape, rescale = graph_of(kf, input_hw)
    except (KerasError, csw.CswError) as e:
        raise SystemExit(f"error: {a.model}: {e}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise SystemExit(f"error: {a.model}: malformed Keras config or weights ({type(e).__name__}: {e})") from None
    preprocess = a.preprocess
    if preprocess is None and rescale is not None:
        preprocess = "raw"
        report.append(f"the model rescales the 0-255 picture itself ({rescale[2]}): preprocessing raw; "
                      "--preprocess overrides")
    if preprocess is None:
        names = set(all_layer_names(kf.config))
        if not all(n in names for n in VGG_LAYERS):
            raise SystemExit("error: say how the model's pictures were preprocessed: --preprocess "
                             f"{'|'.join(sorted(PREPROCESS))} (see --help)")
        preprocess = "caffe"
        report.append("VGG16/VGG19 layers found: preprocessing caffe (keras.applications.vgg16.preprocess_input); "
                      "--preprocess overrides")
    channels, value_range, mean, std = PREPROCESS[preprocess]
    if rescale is not None:
        mean, std = fold_rescale(mean, std, rescale)
        report.append(f"Rescaling layer {rescale[2]} folded into the preprocessing: mean "
                      f"{', '.join(f'{v:.6g}' for v in mean)}, std {', '.join(f'{v:.6g}' for v in std)}")
    classes = [s.strip() for s in a.classes.split(",")] if a.classes else None
    name = a.name or os.path.splitext(os.path.basename(a.out))[0]
    kw = dict(name=name, classes=classes, input_shape=shape, mean=mean, std=std, value_range=value_range,
              channels=channels, resize=a.resize)
    dtype = DTYPE_ALIASES[a.dtype]
    try:
        checked = csw.build_csw2(nodes, tensors, "f32", **kw) if not a.no_check or dtype == "f32" else None
        if not a.no_check:
            worst = check_graph(kf, checked[0], final, rescale)
            bad = {k: v for k, v in worst.items() if not v <= 1e-4}
            if bad:
                raise SystemExit("error: the written graph differs from the Keras model's computation at "
                                 + ", ".join(f"{k} ({v:.2g})" for k, v in bad.items()))
            report.append(f"checked against a NumPy computation of the Keras model: logits and {len(worst) - 1} "
                          f"named layers agree to {max(worst.values()):.1e} (relative)")
        blob, summary = checked if dtype == "f32" else csw.build_csw2(nodes, tensors, dtype, **kw)
        f = csw.read_csw(blob)
    except csw.CswError as e:
        raise SystemExit(f"error: {e}") from None
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "wb") as fh:
        fh.write(blob)
    for line in report:
        print(f"note: {line}")
    print(f"{a.out}: {len(blob)} bytes ({len(blob) / 2**20:.2f} MiB), format {f.version}, name {f.name}, "
          f"input {'x'.join(map(str, f.input))}, {len(f.nodes)} nodes, classes {', '.join(f.classes)}, "
          f"preprocess {preprocess} ({channels}, range {value_range}), resize {a.resize}")
    print(f"{'tensor':40} {'dtype':5} {'shape':>20} {'bytes':>10} {'max|err|':>10}")
    for tname, td, tshape, nbytes, err in summary:
        print(f"{tname:40} {td:5} {'x'.join(map(str, tshape)):>20} {nbytes:>10} {err:>10.3g}")


if __name__ == "__main__":
    main()
