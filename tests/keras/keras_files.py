"""Keras model files written the way Keras writes them, without Keras, from what
tests/keras/reference.mjs leaves in a case folder (the model's Keras 2 JSON config from TF.js
and every layer's variables):

  write_h5(case_dir, path)      legacy HDF5, as tf.keras 2.x model.save("m.h5") lays it out:
                                the model_config attribute and a model_weights group with one
                                group per top-level layer, whose weight_names attribute lists
                                "layer/var:0" datasets (a nested model's group holds all of its
                                layers' variables, trainable ones first)
  write_keras(case_dir, path)   Keras 3 .keras: a zip of metadata.json, config.json (Keras 3's
                                JSON: module / registered_name, InputLayer batch_shape, inbound
                                nodes as {"args": [__keras_tensor__ ...]}) and model.weights.h5
                                with layers/<snake_case class>[_N]/vars/<i> per layer

The layouts follow Keras's own saving code (tf.keras legacy hdf5_format.save_weights_to_hdf5_group,
Keras 3 saving_lib._save_state / _save_container_state); tools/export_keras.py reads them.
"""

import copy
import io
import json
import os
import re
import zipfile

import h5py
import numpy as np

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
MODELS = ("Model", "Functional", "Sequential")


def load_case(case_dir):
    """(Keras 2 config, {layer path tuple: [(var name, array, trainable)]}) of a case."""
    with open(os.path.join(case_dir, "model.json")) as f:
        config = json.load(f)
    with open(os.path.join(case_dir, "weights.json")) as f:
        manifest = json.load(f)
    variables = {}
    for entry in manifest:
        variables[tuple(entry["path"])] = [
            (v["name"], np.load(os.path.join(case_dir, v["file"])), v["trainable"]) for v in entry["vars"]]
    return config, variables


def _name(entry):
    return entry.get("name") or entry["config"]["name"]


def keras2_config(config):
    """TF.js's config as tf.keras 2.x writes it: functional models are class "Functional"."""
    config = copy.deepcopy(config)

    def walk(entry):
        if entry["class_name"] == "Model":
            entry["class_name"] = "Functional"
        for sub in entry["config"].get("layers", []) if isinstance(entry["config"], dict) else []:
            walk(sub)

    walk(config)
    return {"class_name": config["class_name"], "config": config["config"]}


def _leaf_vars(variables, prefix):
    """Variables of every layer under `prefix`, in layer order."""
    return [(path, vs) for path, vs in variables.items() if path[:len(prefix)] == prefix]


def write_h5(case_dir, path, renamed_scopes=False, frozen=False):
    """Legacy HDF5 file. renamed_scopes: the nested models' variable names carry other
    scope names than their layers (as when tf.keras uniquifies name scopes), so a reader
    must fall back to Keras's order. frozen: the nested models were frozen (base.trainable =
    False), so tf.keras lists their variables layer by layer instead of trainable ones first."""
    config, variables = load_case(case_dir)
    config = keras2_config(config)
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["training_config"] = json.dumps({"loss": "categorical_crossentropy"})
        mw = f.create_group("model_weights")
        layers = [e for e in config["config"]["layers"] if config["class_name"] != "Sequential"
                  or e["class_name"] != "InputLayer"]
        mw.attrs["layer_names"] = [_name(e).encode("utf8") for e in layers]
        mw.attrs["backend"] = b"tensorflow"
        mw.attrs["keras_version"] = b"2.15.0"
        for e in layers:
            name = _name(e)
            g = mw.create_group(name)
            if e["class_name"] in MODELS:
                trainable, rest = [], []
                for lpath, vs in _leaf_vars(variables, (name,)):
                    scope = lpath[-1] + ("_1" if renamed_scopes else "")
                    for vname, arr, tr in vs:
                        (trainable if tr and not frozen else rest).append((f"{scope}/{vname}:0", arr))
                items = trainable + rest
            else:
                items = [(f"{name}/{vname}:0", arr) for vname, arr, _ in variables.get((name,), [])]
            g.attrs["weight_names"] = [n.encode("utf8") for n, _ in items]
            for n, arr in items:
                g.create_dataset(n, data=arr)


def snake_case(name):
    """Keras's naming.to_snake_case (the container keys of a .keras weights file)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _input_shape(entry):
    """The batch input shape of a (nested) model entry."""
    cfg = entry["config"]
    layers = cfg["layers"]
    first = layers[0]
    if "batch_input_shape" in first["config"]:
        return first["config"]["batch_input_shape"]
    if first["class_name"] in MODELS:
        return _input_shape(first)
    raise ValueError("no input shape")


def _keras_tensor(ref):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": None, "dtype": "float32", "keras_history": [ref[0], ref[1], ref[2]]}}


def keras3_entry(entry, in_functional, flat_io):
    """One Keras 2 config entry as Keras 3 serializes it."""
    cls, cfg = entry["class_name"], entry["config"]
    name = _name(entry)
    if cls in ("Model", "Functional"):
        def io_refs(refs):
            refs = [[r[0], r[1], r[2]] for r in refs]
            return refs[0] if flat_io and len(refs) == 1 else refs

        out = {"module": "keras.src.models.functional", "class_name": "Functional",
               "config": {"name": name, "trainable": True,
                          "layers": [keras3_entry(s, True, flat_io) for s in cfg["layers"]],
                          "input_layers": io_refs(cfg["input_layers"]), "output_layers": io_refs(cfg["output_layers"])},
               "registered_name": "Functional"}
    elif cls == "Sequential":
        shape = _input_shape(entry)
        inp = {"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": shape, "dtype": "float32", "sparse": False, "name": "input_layer"},
               "registered_name": None}
        out = {"module": "keras", "class_name": "Sequential",
               "config": {"name": name, "trainable": True, "dtype": POLICY,
                          "layers": [inp] + [keras3_entry(s, False, flat_io) for s in cfg["layers"]],
                          "build_input_shape": shape},
               "registered_name": None}
    else:
        c = dict(cfg)
        shape = c.pop("batch_input_shape", None)
        if cls == "InputLayer":
            c["batch_shape"] = shape
            c["dtype"] = "float32"
        else:
            c["dtype"] = POLICY
        out = {"module": "keras.layers", "class_name": cls, "config": c, "registered_name": None}
    if in_functional:
        out["name"] = name
        nodes = []
        for node in entry.get("inbound_nodes", []):
            tensors = [_keras_tensor(r) for r in node]
            nodes.append({"args": tensors if len(tensors) == 1 else [tensors], "kwargs": {}})
        out["inbound_nodes"] = nodes
    return out


def _store_weights(h5, entry, prefix, variables, path, sequential):
    """Keras 3's layers/<snake_case class>[_N]/vars/<i> for each layer of a model entry."""
    used = {}
    for sub in entry["config"]["layers"]:
        cls = "Functional" if sub["class_name"] == "Model" else sub["class_name"]
        if sequential and cls == "InputLayer":
            continue  # Sequential.layers leaves out its InputLayer
        base = snake_case(cls)
        if base in used:
            used[base] += 1
            slot = f"{base}_{used[base]}"
        else:
            used[base] = 0
            slot = base
        key = f"{prefix}layers/{slot}"
        lpath = path + (_name(sub),)
        grp = h5.create_group(key).create_group("vars")
        if cls in MODELS:
            _store_weights(h5, sub, key + "/", variables, lpath, cls == "Sequential")
        else:
            for i, (_, arr, _) in enumerate(variables.get(lpath, [])):
                grp[str(i)] = arr


def write_keras(case_dir, path, flat_io=True):
    """Keras 3 .keras archive."""
    config, variables = load_case(case_dir)
    top = keras3_entry(config, False, flat_io)
    top["module"] = "keras"
    top["build_config"] = {"input_shape": _input_shape(config)}
    top["compile_config"] = None
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        h5.create_group("vars")
        _store_weights(h5, config, "", variables, (), config["class_name"] == "Sequential")
        h5.create_group("optimizer").create_group("vars")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "2026-01-01@00:00:00"}))
        zf.writestr("config.json", json.dumps(top))
        zf.writestr("model.weights.h5", buf.getvalue())
