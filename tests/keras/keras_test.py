#!/usr/bin/env python3
"""Keras models through tools/export_keras.py into the core, against an independent
implementation of Keras's layers: TensorFlow.js (tests/keras/reference.mjs, its pure-JS CPU
backend). There is no TensorFlow here; TF.js's layers are Keras's (same configs, same
semantics), so it computes what Keras would.

  /usr/bin/python3 tests/keras/keras_test.py BUILD/camscope BUILD/tests/camscope_tests \\
      BUILD/tests/dump_layers [--keep DIR]

1. reference.mjs builds VGG-shaped models in TF.js with random weights (Sequential,
   functional, a VGG16-like functional base nested in Sequential and functional models with
   the lab's 2-class softmax head, BatchNormalization + GlobalAveragePooling2D + a sigmoid
   output, and the lab's full-width VGG16 + head on a 64 x 64 picture) and computes logits,
   every layer's output, and gradients of every logit (tf.grad) and Grad-CAM / Layer-CAM at
   named layers;
2. keras_files.py writes each model as Keras lays out its files (legacy .h5 and/or Keras 3
   .keras); tools/export_keras.py converts them (both formats must give the same .csw);
3. the core is compared with TF.js, 1e-4 of each tensor's largest value: its own forward and
   backward pass (dump_layers: logits, activations, gradients, maps at the named layers),
   and the ArchGolden test of tests/test_arch.cpp on a case folder made from TF.js's values
   (every node's TF.js output, so that ReLU / max-pool decisions float32 rounding may take
   either way are counted as near-ties and the backward pass runs on TF.js's decisions);
4. the lab's model runs in the CLI on a photo (caffe preprocessing, nearest resize, as
   keras.utils.load_img + vgg16.preprocess_input do): its logits and raw maps against TF.js's
   on the Keras-preprocessed picture;
5. models the exporter must refuse, each with a message naming the layer and its class.

Skips (exit 77) without h5py, PyTorch or tests/keras/node_modules (tools/setup.sh --test).
"""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "keras")
PICTURE = os.path.join(ROOT, "web", "samples", "cat.jpg")
TOL = 1e-4
CAFFE_MEAN = (103.939, 116.779, 123.68)

# case -> files to write ((format, options)), expected export note, export options
CASES = {
    "sequential": {"files": [("h5", {}), ("keras", {})], "note": "Rescaling layer rescale folded", "raw": True},
    "functional": {"files": [("keras", {"flat_io": False}), ("h5", {})], "note": "removed the final softmax"},
    "nested_sequential": {"files": [("h5", {}), ("keras", {})], "note": "removed the final softmax"},
    "nested_functional": {"files": [("keras", {}), ("h5", {})], "note": "removed the final softmax"},
    "bn_gap": {"files": [("h5", {"renamed_scopes": True}), ("keras", {}), ("h5", {"renamed_scopes": True, "frozen": True}),
                         ("h5", {})],
               "note": "removed the final sigmoid"},
    "lab_vgg16": {"files": [("h5", {})], "note": "removed the final softmax", "lab": True},
}

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)
    return ok


def rel(a, b):
    """max |a - b| / max |b|."""
    import numpy as np

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    m = np.abs(b).max()
    d = np.abs(a - b).max()
    return float(d / m) if m > 0 else float(d)


def skip_reason():
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed (Debian: python3-h5py, python3-torch)"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@tensorflow", "tfjs")):
        return "tests/keras/node_modules is missing (tools/setup.sh --test installs @tensorflow/tfjs)"
    if shutil.which("node") is None:
        return "node is not installed"
    return None


def keras_picture(path, h, w):
    """The picture as Keras code feeds VGG16: keras.utils.load_img(path, target_size=(h, w))
    (PIL, convert RGB, resize NEAREST) and vgg16.preprocess_input (RGB -> BGR, minus the
    ImageNet mean), H x W x 3 float32."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB").resize((w, h), Image.NEAREST)
        x = np.asarray(im, dtype=np.float32)[..., ::-1].copy()
    for c in range(3):
        x[..., c] -= CAFFE_MEAN[c]
    return x


def export(src, out, name, extra):
    """Runs tools/export_keras.py's main in this process (one PyTorch import for all);
    (exit status, its output)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import export_keras

    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            export_keras.main([src, "--out", out, "--name", name] + extra)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code)
    return code, buf.getvalue()


def arch_case(ref, csw_path, out):
    """The ArchGolden case folder (tests/test_arch.cpp) of one case, from TF.js's values."""
    import numpy as np

    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import csw

    def chw(a):
        return a.transpose(2, 0, 1) if a.ndim == 3 else a

    def save(name, arr):
        path = os.path.join(out, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.save(path, np.ascontiguousarray(arr, dtype="<f4"))

    os.makedirs(os.path.join(out, "nodes"), exist_ok=True)
    shutil.copy(csw_path, os.path.join(out, "weights.csw"))
    f = csw.read_csw(csw_path)
    with open(os.path.join(ref, "layers.json")) as fh:
        layers = json.load(fh)
    with open(os.path.join(ref, "names.json")) as fh:
        names = json.load(fh)
    save("input.npy", chw(np.load(os.path.join(ref, "graph_input.npy"))))
    logits = np.load(os.path.join(ref, "logits.npy"))
    save("logits.npy", logits)
    for layer in layers:
        tag = layer.replace("/", "~")
        save(f"act__{layer}.npy", chw(np.load(os.path.join(ref, names[layer]))))
        save(f"grad__{layer}.npy", np.load(os.path.join(ref, f"grad__{tag}.npy")).transpose(0, 3, 1, 2))
        for method in ("gradcam", "layercam"):
            save(f"cam__{method}__{layer}.npy", np.load(os.path.join(ref, f"{method}__{tag}.npy")))
    for i, nd in enumerate(f.nodes):
        if i == len(f.nodes) - 1:
            val = logits
        else:
            key = next((n for n in [nd.name] + nd.aliases if n in names), None)
            if key is None:
                raise SystemExit(f"no TF.js value for node {nd.name}")
            val = chw(np.load(os.path.join(ref, names[key])))
        save(os.path.join("nodes", f"{i}.npy"), val)
    with open(os.path.join(out, "layers.txt"), "w") as fh:
        fh.write("\n".join(layers) + "\n")


def compare_dump(ref, dump, layers, case):
    """The core's own pass (dump_layers) against TF.js: {what: relative error}."""
    import numpy as np

    with open(os.path.join(ref, "names.json")) as fh:
        names = json.load(fh)
    errs = {"logits": rel(np.load(os.path.join(dump, "logits.npy")), np.load(os.path.join(ref, "logits.npy")))}
    for layer in layers:
        tag = layer.replace("/", "~")
        act = np.load(os.path.join(ref, names[layer]))
        act = act.transpose(2, 0, 1) if act.ndim == 3 else act.reshape(-1, 1, 1)
        errs[f"{layer} activation"] = rel(np.load(os.path.join(dump, f"act__{tag}.npy")), act)
        g = np.load(os.path.join(ref, f"grad__{tag}.npy"))
        g = g.transpose(0, 3, 1, 2) if g.ndim == 4 else g.reshape(g.shape[0], -1, 1, 1)
        mine = np.load(os.path.join(dump, f"grad__{tag}.npy"))
        errs[f"{layer} gradient"] = max(rel(mine[c], g[c]) for c in range(g.shape[0]))
        for method in ("gradcam", "layercam"):
            theirs = np.load(os.path.join(ref, f"{method}__{tag}.npy"))
            theirs = theirs.reshape(theirs.shape[0], -1)
            mine = np.load(os.path.join(dump, f"{method}__{tag}.npy")).reshape(theirs.shape)
            errs[f"{layer} {method}"] = max(rel(mine[c], theirs[c]) for c in range(theirs.shape[0]))
    return errs


def lab_cli(cli, ref, csw_path, work):
    """The lab's model in the CLI on the photo: logits and maps against TF.js's."""
    import numpy as np

    with open(os.path.join(ref, "layers.json")) as fh:
        layers = json.load(fh)
    errs = {}
    logits = np.load(os.path.join(ref, "logits.npy"))
    for layer in layers[:2]:
        out = os.path.join(work, "lab_cli", layer)
        r = subprocess.run([cli, "explain", PICTURE, "--weights", csw_path, "--layer", layer, "--method",
                            "gradcam,layercam", "--class", "all", "--out", out], capture_output=True, text=True)
        if not check(r.returncode == 0, f"camscope explain --layer {layer}: {r.stderr.strip()[:300]}"):
            continue
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
        pic = summary["pictures"][0]
        errs["logits"] = rel(pic["logits"], logits)
        for method in ("gradcam", "layercam"):
            theirs = np.load(os.path.join(ref, f"{method}__{layer}.npy"))
            worst = 0.0
            for c, cls in enumerate(("cat", "dog")):
                mine = np.load(os.path.join(out, f"cat__{method}__{layer}__{cls}.npy"))
                worst = max(worst, rel(mine, theirs[c]))
            errs[f"{layer} {method}"] = worst
    return errs


def refusals(ref_dir, work):
    """Models the exporter must refuse, each with a message naming the layer and class."""
    import copy

    import h5py

    sys.path.insert(0, HERE)
    import keras_files

    config, _ = keras_files.load_case(os.path.join(ref_dir, "sequential"))
    base = os.path.join(ref_dir, "sequential")

    def variant(name, edit, expect):
        cfg = copy.deepcopy(config)
        edit(cfg["config"]["layers"])
        d = os.path.join(work, "refuse", name)
        shutil.copytree(base, d, dirs_exist_ok=True)
        with open(os.path.join(d, "model.json"), "w") as fh:
            json.dump(cfg, fh)
        path = os.path.join(d, "model.h5")
        keras_files.write_h5(d, path)
        rc, out = export(path, os.path.join(d, "out.csw"), name, ["--preprocess", "raw"])
        check(rc != 0 and re.search(expect, out) is not None and not os.path.exists(os.path.join(d, "out.csw")),
              f"refusal {name}: exit {rc}, wanted /{expect}/, got: {out.strip()[-300:]}")

    def layer(layers, name):
        return next(e for e in layers if e["config"]["name"] == name)

    def set_cfg(name, **kw):
        return lambda layers: layer(layers, name)["config"].update(kw)

    variant("tanh", set_cfg("c2", activation="tanh"), r"layer c2 \(Conv2D\): activation 'tanh'")
    variant("channels_first", set_cfg("p1", data_format="channels_first"),
            r"layer p1 \(MaxPooling2D\): data_format=channels_first")
    variant("lstm", lambda layers: layer(layers, "flatten").update(class_name="LSTM"),
            r"layer flatten \(LSTM\): camscope cannot run a LSTM layer")
    variant("softmax_inside", set_cfg("fc1", activation="softmax"),
            r"layer drop \(Dropout\) reads the output of a softmax \(fc1\)")
    variant("causal", set_cfg("c3", padding="causal"), r"layer c3 \(Conv2D\): padding='causal'")
    variant("rescaling_inside", lambda layers: layer(layers, "drop").update(class_name="Rescaling"),
            r"layer drop \(Rescaling\): a Rescaling is supported on the model's input only")
    # A weights-only HDF5 file (model.save_weights) has no architecture.
    path = os.path.join(work, "refuse", "weights_only.h5")
    with h5py.File(path, "w") as f:
        f.create_group("c1")
    rc, out = export(path, path + ".csw", "w", [])
    check(rc != 0 and "weights only" in out, f"weights-only file: exit {rc}: {out.strip()[-200:]}")
    # Neither HDF5 nor zip.
    path = os.path.join(work, "refuse", "garbage.h5")
    with open(path, "wb") as f:
        f.write(b"not a model")
    rc, out = export(path, path + ".csw", "g", [])
    check(rc != 0 and "neither a Keras" in out, f"garbage file: exit {rc}: {out.strip()[-200:]}")
    # No preprocessing said for a model that is not VGG16-based.
    rc, out = export(os.path.join(work, "functional.h5"), os.path.join(work, "refuse", "np.csw"), "s", [])
    check(rc != 0 and "--preprocess" in out, f"missing --preprocess: exit {rc}: {out.strip()[-200:]}")


def main(argv):
    args = [a for a in argv if not a.startswith("--keep")]
    keep = next((a.split("=", 1)[1] for a in argv if a.startswith("--keep=")), None)
    if len(args) != 3:
        print("usage: keras_test.py CAMSCOPE CAMSCOPE_TESTS DUMP_LAYERS [--keep=DIR]")
        return 2
    cli, gtests, dump = args
    why = skip_reason()
    if why:
        print(f"skipped: {why}")
        return 77
    import numpy as np

    sys.path.insert(0, HERE)
    import keras_files

    t0 = time.time()
    work = keep or tempfile.mkdtemp(prefix="camscope_keras_")
    os.makedirs(work, exist_ok=True)
    ref_dir = os.path.join(work, "ref")
    os.makedirs(os.path.join(ref_dir, "lab_vgg16"), exist_ok=True)
    np.save(os.path.join(ref_dir, "lab_vgg16", "given_input.npy"), keras_picture(PICTURE, 64, 64))
    r = subprocess.run(["node", os.path.join(HERE, "reference.mjs"), ref_dir], capture_output=True, text=True,
                       timeout=240)
    if not check(r.returncode == 0, f"reference.mjs failed: {r.stderr.strip()[-800:]}"):
        return 1
    print("\n".join(line for line in r.stdout.splitlines() if line and "tfjs-node" not in line
                    and "====" not in line and "Hi, looks" not in line))
    t_ref = time.time() - t0
    rows = []
    for case, spec in CASES.items():
        ref = os.path.join(ref_dir, case)
        blobs = []
        for fmt, opts in spec["files"]:
            src = os.path.join(work, f"{case}{'_' + '_'.join(opts) if opts else ''}.{fmt}")
            (keras_files.write_h5 if fmt == "h5" else keras_files.write_keras)(ref, src, **opts)
            out = src + ".csw"
            extra = ["--classes", "cat,dog"] if spec.get("lab") else [] if spec.get("raw") else ["--preprocess", "raw"]
            rc, text = export(src, out, case, extra)
            if not check(rc == 0, f"{case}: export of {os.path.basename(src)} failed:\n{text}"):
                continue
            if spec["note"]:
                check(spec["note"] in text, f"{case}: the export does not say '{spec['note']}':\n{text}")
            if spec.get("lab"):
                check("preprocessing caffe" in text, f"{case}: no caffe default:\n{text}")
            if opts.get("renamed_scopes"):
                check("assigned in Keras's order" in text, f"{case}: no order note:\n{text}")
            with open(out, "rb") as fh:
                blobs.append((os.path.basename(src), fh.read(), out))
        if not blobs:
            continue
        for name, blob, _ in blobs[1:]:
            check(blob == blobs[0][1], f"{case}: {name} gives another .csw than {blobs[0][0]}")
        csw_path = blobs[0][2]
        with open(os.path.join(ref, "layers.json")) as fh:
            layers = json.load(fh)
        # The core's own forward and backward pass.
        dump_dir = os.path.join(work, "dump", case)
        os.makedirs(dump_dir, exist_ok=True)
        chw_input = os.path.join(dump_dir, "input_chw.npy")
        np.save(chw_input, np.load(os.path.join(ref, "graph_input.npy")).transpose(2, 0, 1).astype("<f4"))
        d = subprocess.run([dump, csw_path, chw_input, dump_dir] + layers, capture_output=True, text=True)
        if not check(d.returncode == 0, f"{case}: dump_layers: {d.stderr.strip()}"):
            continue
        errs = compare_dump(ref, dump_dir, layers, case)
        # ArchGolden: decisions as near-ties, backward on TF.js's activations.
        arch = os.path.join(work, "arch", case)
        arch_case(ref, csw_path, arch)
        g = subprocess.run([gtests, "--gtest_brief=1", "--gtest_filter=ArchGolden.*"], capture_output=True,
                           text=True, env=dict(os.environ, CAMSCOPE_ARCH_CASE=arch))
        worst = re.search(r"max relative error vs torch ([0-9.e+-]+) at \d+ layers; (\d+) of (\d+) decisions", g.stdout)
        check(g.returncode == 0 and worst is not None,
              f"{case}: ArchGolden against TF.js failed:\n{g.stdout[-2000:]}{g.stderr[-500:]}")
        flips = int(worst.group(2)) if worst else -1
        for what, e in errs.items():
            # With a decision flipped (counted and checked as a near-tie above), the core's own
            # gradients may differ from TF.js's where that decision routes them; activations,
            # logits and the unflipped case must still agree.
            strict = flips == 0 or not what.endswith(("gradient", "gradcam", "layercam"))
            check(e < TOL or not strict, f"{case}: {what} differs from TF.js by {e:.2e}")
        rows.append((case, errs, worst.group(1) if worst else "failed", flips, worst.group(3) if worst else "?"))
        if spec.get("lab"):
            cli_errs = lab_cli(cli, ref, csw_path, work)
            for what, e in cli_errs.items():
                check(e < TOL, f"{case} CLI: {what} differs from TF.js by {e:.2e}")
            rows.append((case + " (CLI, photo)", cli_errs, "-", 0, "-"))
    refusals(ref_dir, work)

    print(f"\n{'case':28} {'what':36} {'rel. error':>10}")
    for case, errs, arch_worst, flips, decisions in rows:
        for what, e in errs.items():
            print(f"{case:28} {what:36} {e:10.2e}")
        if arch_worst != "-":
            print(f"{case:28} {'ArchGolden worst (TF.js decisions)':36} {float(arch_worst):10.2e}"
                  f"  ({flips} of {decisions} decisions flipped, all near-ties)")
    print(f"\nkeras: {passed} checks passed, {failed} failed; TF.js reference {t_ref:.1f} s, "
          f"total {time.time() - t0:.1f} s")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
