#!/usr/bin/env python3
"""The lab guide's figures (docs/lab.md): lays out what `camscope explain` / `evaluate` wrote,
computes the four traps with PyTorch on the same weights, and checks a set against another.
Called by tools/lab_figures.sh (which runs the CLI first); not meant to be run alone.

  lab_figures.py compose CLI_OUT OUT     figures from the CLI's outputs, numbers into OUT/lab_numbers.json
  lab_figures.py traps CLI_OUT OUT       the traps (PyTorch, float64), numbers merged into lab_numbers.json
  lab_figures.py check REF NEW           exit 1 when a figure's pixels or a number differ (tolerances below)

Every map drawn by this file (the traps) uses the CLI's own rule: bilinear upsampling
(align_corners=False) to the picture's size, divided by the map's max, the colour table
of wasm/colormap_lut.inc, blended at alpha 0.5 over the picture.
"""

import json
import os
import re
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PICTURES = ["cat", "dog", "both"]  # stems of web/samples/{cat.jpg, dog.jpg, both.png}
SAMPLE_FILES = {"cat": "cat.jpg", "dog": "dog.jpg", "both": "both.png"}
CLASSES = ["cat", "dog"]
WEIGHTS = os.path.join(ROOT, "weights", "camscope_catsdogs_int8.csw")
PANEL_H = 128  # every panel is scaled to this height (aspect kept)
# check: a figure matches when its size is the same, at most 0.5% of its channel values
# differ by more than 8 (of 255) and the mean absolute difference is under 1; a number
# when it is within 1e-3 relative (1e-6 absolute near zero).
PIXEL_TOL, PIXEL_SHARE, PIXEL_MEAN, NUM_REL, NUM_ABS = 8, 0.005, 1.0, 1e-3, 1e-6


# --- drawing ------------------------------------------------------------------------------

def font():
    """PIL's built-in bitmap font: the same pixels on every machine (no system fonts)."""
    return ImageFont.load_default()


def text_size(draw, s):
    """Width and height of s in the built-in font."""
    box = draw.textbbox((0, 0), s, font=font())
    return box[2] - box[0], box[3] - box[1]


def panel(img):
    """img scaled to PANEL_H pixels high (bilinear, aspect kept)."""
    w = max(1, round(img.width * PANEL_H / img.height))
    return img.convert("RGB").resize((w, PANEL_H), Image.BILINEAR)


def grid(rows, row_titles, col_titles, title, out, captions=None):
    """Writes a table of panels (rows x columns of PIL images or None) with titles and, if
    given, a line of text under each panel (captions: rows x columns of strings)."""
    f = font()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    pad, line = 6, 13
    ncol = len(col_titles)
    col_w = [max([panel(r[c]).width for r in rows if r[c] is not None] + [text_size(probe, s)[0] for s in
                  col_titles[c].split("\n")]) for c in range(ncol)]
    head_w = max(text_size(probe, s)[0] for t in row_titles for s in t.split("\n")) + pad
    head_h = line * max(len(t.split("\n")) for t in col_titles) + pad
    title_h = line * len(title.split("\n")) + pad
    width = head_w + sum(col_w) + pad * (ncol + 1)
    cap_h = line if captions else 0
    if captions:
        col_w = [max(col_w[c], max(text_size(probe, r[c])[0] for r in captions)) for c in range(ncol)]
    width = head_w + sum(col_w) + pad * (ncol + 1)
    height = title_h + head_h + len(rows) * (PANEL_H + cap_h + pad) + pad
    im = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(im)
    for i, s in enumerate(title.split("\n")):
        d.text((pad, pad // 2 + i * line), s, fill="black", font=f)
    x = head_w + pad
    for c in range(ncol):
        for i, s in enumerate(col_titles[c].split("\n")):
            d.text((x, title_h + i * line), s, fill="black", font=f)
        y = title_h + head_h
        for i, r in enumerate(rows):
            if r[c] is not None:
                im.paste(panel(r[c]), (x, y))
            if captions:
                d.text((x, y + PANEL_H + 1), captions[i][c], fill="black", font=f)
            y += PANEL_H + cap_h + pad
        x += col_w[c] + pad
    y = title_h + head_h
    for t in row_titles:
        for i, s in enumerate(t.split("\n")):
            d.text((pad, y + PANEL_H // 2 - line + i * line), s, fill="black", font=f)
        y += PANEL_H + cap_h + pad
    im.save(out, optimize=True)


def viridis():
    """The CLI's viridis table (wasm/colormap_lut.inc), 256 x 3 uint8."""
    text = open(os.path.join(ROOT, "wasm", "colormap_lut.inc")).read()
    body = text.split("kViridis[256][3] = {")[1].split("};")[0]
    lut = np.array([int(v) for v in re.findall(r"\d+", body)], dtype=np.uint8).reshape(256, 3)
    return lut


def overlay(pic_rgb, m, scale=None):
    """A map (H x W at layer resolution) over the picture, the CLI's way; scale: the value
    drawn at the top of the colour table (default: the map's max)."""
    import torch
    import torch.nn.functional as F

    h, w = pic_rgb.shape[:2]
    up = F.interpolate(torch.from_numpy(np.asarray(m, np.float64))[None, None], size=(h, w), mode="bilinear",
                       align_corners=False)[0, 0].numpy()
    top = float(up.max()) if scale is None else scale
    t = np.clip(up / top, 0.0, 1.0) if top > 0 else np.zeros_like(up)
    idx = np.clip(np.floor(t * 255.0 + 0.5), 0, 255).astype(np.int64)
    col = viridis()[idx].astype(np.float64)
    out = 0.5 * pic_rgb.astype(np.float64) + 0.5 * col
    return Image.fromarray(np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8))


def picture(stem):
    """The demo picture's RGB pixels, decoded as the CLI decodes them (PIL)."""
    from PIL import ImageOps

    with Image.open(os.path.join(ROOT, "web", "samples", SAMPLE_FILES[stem])) as im:
        return np.array(ImageOps.exif_transpose(im).convert("RGB"))


# --- numbers file ---------------------------------------------------------------------------

def merge_numbers(out, key, value):
    """Sets lab_numbers.json's `key` (the file is shared by compose and traps)."""
    path = os.path.join(out, "lab_numbers.json")
    data = json.load(open(path)) if os.path.exists(path) else {}
    data[key] = value
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")


def r4(v):
    """A number rounded to 4 significant digits, for the guide's file."""
    return float(f"{float(v):.4g}")


# --- compose: the CLI's outputs as the guide's figures -------------------------------------

def compose(cli, out):
    """Builds q1..q5 figures from `camscope explain` / `evaluate` outputs in cli/."""
    def cli_png(sub, stem, method, layer, cls):
        return Image.open(os.path.join(cli, sub, f"{stem}__{method}__{layer}__{cls}.png"))

    summary = json.load(open(os.path.join(cli, "explain", "summary.json")))
    preds = {}
    for p in summary["pictures"]:
        stem = os.path.splitext(os.path.basename(p["file"]))[0]
        preds[stem] = {c: r4(v) for c, v in zip(CLASSES, p["probabilities"])}
    merge_numbers(out, "predictions", preds)
    peaks = {}
    for p in summary["pictures"]:
        stem = os.path.splitext(os.path.basename(p["file"]))[0]
        for m in p["maps"]:
            key = f"{stem} {m['method']} {m['layer']} {m['class_name']}"
            peaks[key] = {"max": r4(m["max"]), "empty": m["empty"]}
    merge_numbers(out, "map_peaks", peaks)
    rows_t = [f"{s}\ncat {preds[s]['cat']:.3f}\ndog {preds[s]['dog']:.3f}" for s in PICTURES]
    # q1: every channel of the last conv (the CLI's grids, 256 tiles of 13x13).
    for s in PICTURES:
        Image.open(os.path.join(cli, "explain", f"{s}__features__features.14.png")).save(
            os.path.join(out, f"q1_channels_{s}.png"), optimize=True)
    # q2, q3: one method, both classes, shared normalisation.
    for q, method, title in (("q2", "gradcam", "Grad-CAM"), ("q3", "layercam", "Layer-CAM")):
        grid([[cli_png("explain", s, method, "features.14", c) for c in CLASSES] for s in PICTURES], rows_t,
             ["class 0 (cat)", "class 1 (dog)"],
             f"{title}, features.14 (last conv, 13x13), viridis,\nnormalised shared by the two classes",
             os.path.join(out, f"{q}_{method}.png"))
    # q4: last conv vs pooled layer, both methods.
    for method, title in (("gradcam", "Grad-CAM"), ("layercam", "Layer-CAM")):
        cols, heads = [], []
        for c in CLASSES:
            for layer, size in (("features.14", "13x13"), ("avgpool", "6x6")):
                cols.append((layer, c))
                heads.append(f"{c}\n{layer} {size}")
        grid([[cli_png("explain", s, method, layer, c) for layer, c in cols] for s in PICTURES], rows_t, heads,
             f"{title}: last conv (features.14, 13x13) vs pooled (avgpool, 6x6), shared normalisation",
             os.path.join(out, f"q4_layers_{method}.png"))
    # q5: Grad-CAM vs Layer-CAM side by side (per-map normalisation: shapes), Guided Grad-CAM.
    grid([[cli_png("permap", s, m, "features.14", c) for c in CLASSES for m in ("gradcam", "layercam")]
          for s in PICTURES], rows_t,
         ["Grad-CAM\ncat", "Layer-CAM\ncat", "Grad-CAM\ndog", "Layer-CAM\ndog"],
         "Grad-CAM vs Layer-CAM, features.14, each map normalised on its own", os.path.join(out, "q5_compare.png"))
    grid([[Image.open(os.path.join(cli, "explain", f"{s}__guidedgradcam__features.14__{c}.png")) for c in CLASSES]
          for s in PICTURES], rows_t, ["class 0 (cat)", "class 1 (dog)"],
         "Guided Grad-CAM (guided backpropagation x Grad-CAM at features.14)",
         os.path.join(out, "q5_guided_gradcam.png"))
    # q5 numbers: deletion / insertion per picture, method and class (evaluate.csv).
    rows = csv_rows(os.path.join(cli, "evaluate")) + csv_rows(os.path.join(cli, "evaluate_both"))
    ev = json.load(open(os.path.join(cli, "evaluate", "evaluate.json")))
    settings = {k: ev[k] for k in ("steps", "deletion_baseline", "insertion_baseline", "layer")}
    merge_numbers(out, "evaluate_demo", {"settings": settings, "rows": rows, "means": means(rows)})
    svg = open(os.path.join(cli, "evaluate", "curves.svg")).read()
    with open(os.path.join(out, "q5_curves.svg"), "w") as fh:
        fh.write(svg)


def csv_rows(folder):
    """evaluate.csv's rows with the numbers the guide quotes."""
    import csv

    out = []
    with open(os.path.join(folder, "evaluate.csv")) as fh:
        for r in csv.DictReader(fh):
            out.append({"picture": os.path.basename(r["picture"]), "class": r["class"], "method": r["method"],
                        **{k: r4(r[k]) for k in ("deletion_auc", "insertion_auc", "original_prob", "masked_prob",
                                                 "drop", "increase")}})
    return out


def means(rows):
    """Per method: the rows' mean deletion / insertion AUC, Average Drop (%, relative) and
    Increase in Confidence (%), and on how many rows the method beats the random map."""
    out = {}
    rnd = {(r["picture"], r["class"]): r for r in rows if r["method"] == "random"}
    for m in sorted(set(r["method"] for r in rows)):
        mine = [r for r in rows if r["method"] == m]
        d = {"n": len(mine)}
        for k in ("deletion_auc", "insertion_auc"):
            d[k] = r4(np.mean([r[k] for r in mine]))
        d["average_drop_percent"] = r4(100 * np.mean([r["drop"] for r in mine]))
        d["increase_in_confidence_percent"] = r4(100 * np.mean([r["increase"] for r in mine]))
        if m != "random":
            d["deletion_beats_random"] = sum(r["deletion_auc"] < rnd[(r["picture"], r["class"])]["deletion_auc"]
                                             for r in mine)
            d["insertion_beats_random"] = sum(r["insertion_auc"] > rnd[(r["picture"], r["class"])]["insertion_auc"]
                                              for r in mine)
        out[m] = d
    return out


def val_numbers(cli_eval, out, count):
    """Writes lab_numbers_val.json from an evaluate run over validation photos."""
    rows = csv_rows(cli_eval)
    ev = json.load(open(os.path.join(cli_eval, "evaluate.json")))
    by = {(r["picture"], r["class"], r["method"]): r for r in rows}
    pairs = [(by[(p, c, "gradcam")], by[(p, c, "layercam")]) for p, c, m in by if m == "gradcam"]
    paired = {"pictures": len(pairs),
              "gradcam_lower_deletion": sum(g["deletion_auc"] < l["deletion_auc"] for g, l in pairs),
              "gradcam_higher_insertion": sum(g["insertion_auc"] > l["insertion_auc"] for g, l in pairs),
              "deletion_sd": {m: r4(np.std([r["deletion_auc"] for r in rows if r["method"] == m])) for m in
                              ("gradcam", "layercam", "random")},
              "insertion_sd": {m: r4(np.std([r["insertion_auc"] for r in rows if r["method"] == m])) for m in
                               ("gradcam", "layercam", "random")}}
    with open(os.path.join(out, "lab_numbers_val.json"), "w") as fh:
        json.dump({"pictures_per_class": count, "accuracy": ev.get("accuracy"), "means": means(rows),
                   "paired": paired,
                   "settings": {k: ev[k] for k in ("steps", "deletion_baseline", "insertion_baseline", "layer")}},
                  fh, indent=1, sort_keys=True)
        fh.write("\n")


# --- traps: PyTorch on the same weights -----------------------------------------------------

def run_chain(chain, x):
    """Runs the (name, module) chain; returns logits and every module's output by name."""
    vals, a = {}, x
    for name, m in chain:
        a = m(a)
        vals[name] = a
    return a, vals


def corr(a, b):
    """Pearson correlation of two maps (NaN-free: 0 when one is flat)."""
    a, b = np.ravel(a), np.ravel(b)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def traps(cli, out):
    """The four traps of the lab, each beside the right answer, and their numbers."""
    import torch
    import csw
    import model as models

    torch.set_grad_enabled(True)
    f = csw.read_csw(WEIGHTS)
    net = csw.model_from_csw(f).double()
    chain = csw._leaves(net, "")
    numbers = {}
    rows = {k: [] for k in ("softmax", "classifier", "layercam", "inplace")}
    heads_t, caps = {}, {}
    for s in PICTURES:
        pic = picture(s)
        x = models.preprocess(pic).double()
        logits, vals = run_chain(chain, x)
        A = vals["features.14"]
        prob = torch.softmax(logits, 1)
        n = {"logits": [r4(v) for v in logits[0].tolist()], "probabilities": [r4(v) for v in prob[0].tolist()]}

        def grad(y, t):
            return torch.autograd.grad(y, t, retain_graph=True)[0][0].detach().numpy()

        a = A[0].detach().numpy()
        g_logit = [grad(logits[0, c], A) for c in range(2)]
        g_soft = [grad(prob[0, c], A) for c in range(2)]
        gc = [np.maximum(np.einsum("c,chw->hw", g.mean(axis=(1, 2)), a), 0) for g in g_logit]
        gs = [np.maximum(np.einsum("c,chw->hw", g.mean(axis=(1, 2)), a), 0) for g in g_soft]
        lc = [np.maximum(np.einsum("chw,chw->hw", np.maximum(g, 0), a), 0) for g in g_logit]
        lw = [np.maximum(np.einsum("chw,chw->hw", g, a * a), 0) for g in g_logit]
        # The CLI computed the same logit maps from the int8 file: the traps stand on its numbers.
        for c in range(2):
            for mine, method in ((gc[c], "gradcam"), (lc[c], "layercam")):
                theirs = np.load(os.path.join(cli, "explain", f"{s}__{method}__features.14__{CLASSES[c]}.npy"))
                err = np.abs(theirs - mine).max() / max(np.abs(mine).max(), 1e-12)
                if err > 1e-4:
                    raise SystemExit(f"lab_figures: {s} {method} {CLASSES[c]}: CLI vs PyTorch {err:.2e} > 1e-4")
        # Trap 1: softmax. For two classes dp_c/dA = p_c p_o (dy_c/dA - dy_o/dA).
        p = prob[0].tolist()
        n["softmax"] = {CLASSES[c]: {"logit_map_peak": r4(gc[c].max()), "softmax_map_peak": r4(gs[c].max()),
                                     "correlation": r4(corr(gc[c], gs[c])),
                                     "p_c_times_p_other": r4(p[0] * p[1])} for c in range(2)}
        ws = [g.mean(axis=(1, 2)) for g in g_soft]
        n["softmax"]["weights_cat_plus_dog"] = r4(np.abs(ws[0] + ws[1]).max() / np.abs(ws[0]).max())
        rows["softmax"].append([overlay(pic, gc[0]), overlay(pic, gs[0]), overlay(pic, gc[1]), overlay(pic, gs[1])])
        caps.setdefault("softmax", []).append([f"peak {gc[0].max():.3g}", f"peak {gs[0].max():.3g}",
                                               f"peak {gc[1].max():.3g}", f"peak {gs[1].max():.3g}"])
        # Trap 2: the classifier skipped: index 1873 of the flattened `features` output.
        feat = vals["features.17"].reshape(-1)
        top = int(torch.argmax(feat))
        fmaps = []
        for idx in (1873, top):
            g = grad(feat[idx], A)
            fmaps.append(np.maximum(np.einsum("c,chw->hw", g.mean(axis=(1, 2)), a), 0))
        n["classifier_skipped"] = {
            "index_1873": {"channel": 1873 // 36, "row": 1873 % 36 // 6, "col": 1873 % 6,
                           "value": r4(feat[1873]), "map_correlation_with_channel": r4(corr(fmaps[0],
                                                                                             np.maximum(a[52], 0)))},
            "argmax": {"index": top, "channel": top // 36, "row": top % 36 // 6, "col": top % 6,
                       "value": r4(feat[top])},
            "features_length": int(feat.numel())}
        rows["classifier"].append([overlay(pic, fmaps[0]), overlay(pic, fmaps[1]), overlay(pic, gc[0]),
                                   overlay(pic, gc[1])])
        heads_t.setdefault("classifier", []).append(top)
        # Trap 3: Layer-CAM written as grad * A^2 instead of ReLU(grad) * A.
        n["layercam_formula"] = {CLASSES[c]: {"correlation": r4(corr(lc[c], lw[c])),
                                              "negative_share_of_A": r4((a < 0).mean())} for c in range(2)}
        rows["layercam"].append([overlay(pic, lc[0]), overlay(pic, lw[0]), overlay(pic, lc[1]), overlay(pic, lw[1])])
        # Trap 4: a forward hook keeps features.15's output (BatchNorm); the in-place ReLU
        # features.16 then overwrites it. The gradients are right (taken out of place here):
        # only the kept activation is wrong.
        hooked = {}
        relu = chain[[nm for nm, _ in chain].index("features.16")][1]
        relu.inplace = True
        handle = dict(chain)["features.15"].register_forward_hook(lambda mod, i, o: hooked.update(A=o))
        with torch.no_grad():
            run_chain(chain, x)
        handle.remove()
        relu.inplace = False
        _, vals2 = run_chain(chain, x)
        A15 = vals2["features.15"]
        a15 = A15[0].detach().numpy()
        kept = hooked["A"][0].numpy()
        ok, bad = [], []
        for c in range(2):
            w = grad(vals2[chain[-1][0]].reshape(1, -1)[0, c], A15).mean(axis=(1, 2))
            ok.append(np.maximum(np.einsum("c,chw->hw", w, a15), 0))
            bad.append(np.maximum(np.einsum("c,chw->hw", w, kept), 0))
            theirs = np.load(os.path.join(cli, "explain", f"{s}__gradcam__features.15__{CLASSES[c]}.npy"))
            err = np.abs(theirs - ok[c]).max() / max(np.abs(ok[c]).max(), 1e-12)
            if err > 1e-4:
                raise SystemExit(f"lab_figures: {s} gradcam features.15 {CLASSES[c]}: CLI vs PyTorch {err:.2e}")
        n["inplace_relu"] = {"kept_min": r4(kept.min()), "true_min": r4(a15.min()),
                             "share_overwritten": r4((a15 < 0).mean()),
                             **{CLASSES[c]: {"correlation": r4(corr(ok[c], bad[c])),
                                             "true_peak": r4(ok[c].max()), "hooked_peak": r4(bad[c].max())}
                                for c in range(2)}}
        rows["inplace"].append([overlay(pic, ok[0]), overlay(pic, bad[0]), overlay(pic, ok[1]), overlay(pic, bad[1])])
        caps.setdefault("inplace", []).append([f"peak {ok[0].max():.3g}", f"peak {bad[0].max():.3g}",
                                               f"peak {ok[1].max():.3g}", f"peak {bad[1].max():.3g}"])
        numbers[s] = n
    merge_numbers(out, "traps", numbers)
    rt = [f"{s}\ncat {numbers[s]['probabilities'][0]:.3f}\ndog {numbers[s]['probabilities'][1]:.3f}"
          for s in PICTURES]
    grid(rows["softmax"], rt, ["d logit / dA\ncat", "d softmax / dA\ncat", "d logit / dA\ndog",
                               "d softmax / dA\ndog"],
         "Trap 1: Grad-CAM from the softmax's gradient vs the logit's (features.14;\n"
         "each map normalised on its own; under each, its peak)", os.path.join(out, "trap_softmax.png"),
         captions=caps["softmax"])
    grid(rows["classifier"], [f"{r}\nargmax {t}" for r, t in zip(rt, heads_t["classifier"])],
         ["'class 1873'\n(a feature)", "'class' argmax\n(a feature)", "class 0\n(cat)", "class 1\n(dog)"],
         "Trap 2: the classifier skipped: Grad-CAM of one entry of the flattened features\n"
         "(256x6x6 = 9216 values) vs of the real classes", os.path.join(out, "trap_classifier.png"))
    grid(rows["layercam"], rt, ["ReLU(G).A\ncat", "G.A^2\ncat", "ReLU(G).A\ndog", "G.A^2\ndog"],
         "Trap 3: Layer-CAM as ReLU(grad).A (right) vs grad.A^2 (wrong), features.14",
         os.path.join(out, "trap_layercam.png"))
    grid(rows["inplace"], rt, ["true A\ncat", "hooked A\ncat", "true A\ndog", "hooked A\ndog"],
         "Trap 4: Grad-CAM at features.15 with the activation a forward hook kept,\n"
         "overwritten by the in-place ReLU features.16", os.path.join(out, "trap_inplace.png"),
         captions=caps["inplace"])


# --- check -------------------------------------------------------------------------------------

def compare_numbers(a, b, where, errors):
    """Appends to errors where the JSON values a and b differ beyond the tolerance."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                errors.append(f"{where}.{k}: only in one set")
            else:
                compare_numbers(a[k], b[k], f"{where}.{k}", errors)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            errors.append(f"{where}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)):
            compare_numbers(x, y, f"{where}[{i}]", errors)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if abs(a - b) > max(NUM_ABS, NUM_REL * max(abs(a), abs(b))):
            errors.append(f"{where}: {a} vs {b}")
    elif a != b:
        errors.append(f"{where}: {a!r} vs {b!r}")


def check(ref, new):
    """Compares every figure and number of ref (committed) with new (regenerated)."""
    errors = []
    # The validation-set files (--val N, minutes of work) are compared only when made again.
    names = sorted(n for n in os.listdir(ref) if n.endswith((".png", ".json", ".svg")) and
                   ("_val" not in n or os.path.exists(os.path.join(new, n))))
    if not names:
        errors.append(f"{ref}: no figures")
    for n in names:
        p, q = os.path.join(ref, n), os.path.join(new, n)
        if not os.path.exists(q):
            errors.append(f"{n}: not made any more")
            continue
        if n.endswith(".png"):
            x = np.asarray(Image.open(p).convert("RGB"), np.int16)
            y = np.asarray(Image.open(q).convert("RGB"), np.int16)
            if x.shape != y.shape:
                errors.append(f"{n}: size {x.shape} vs {y.shape}")
                continue
            d = np.abs(x - y)
            if (d > PIXEL_TOL).mean() > PIXEL_SHARE or d.mean() > PIXEL_MEAN:
                errors.append(f"{n}: {100 * (d > PIXEL_TOL).mean():.2f}% of values differ by more than {PIXEL_TOL}, "
                              f"mean {d.mean():.2f}")
        elif n.endswith(".json"):
            compare_numbers(json.load(open(p)), json.load(open(q)), n, errors)
        else:  # an SVG: the same text with every number within 0.05 (pixels)
            num = r"-?\d+(?:\.\d+)?"
            sp, sq = open(p).read(), open(q).read()
            if re.sub(num, "#", sp) != re.sub(num, "#", sq):
                errors.append(f"{n}: text differs")
            else:
                d = [abs(float(u) - float(v)) for u, v in zip(re.findall(num, sp), re.findall(num, sq))]
                if d and max(d) > 0.05:
                    errors.append(f"{n}: a coordinate moved by {max(d):.3f}")
    extra = sorted(set(n for n in os.listdir(new) if n.endswith((".png", ".json", ".svg"))) - set(names))
    errors += [f"{n}: made but not committed" for n in extra if "_val" not in n]
    for e in errors:
        print("lab_figures:", e)
    print(f"lab_figures: {len(names)} files compared, {len(errors)} differences")
    return 1 if errors else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "compose":
        compose(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "traps":
        traps(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "val":
        val_numbers(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
