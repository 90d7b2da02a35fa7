#!/usr/bin/env bash
# End-to-end checks of the camscope command line.
# Usage: bash tests/cli_test.sh <path-to-camscope-binary> <weights.csw>
# Prints one line per check and a final "N passed, M failed"; exits non-zero on any failure.
set -u

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <camscope binary> <weights.csw>" >&2
  exit 2
fi
BIN=$(realpath "$1")
WEIGHTS=$(realpath "$2")
TOOLS=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../tools")
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3

if [[ ! -x $BIN ]]; then
  echo "camscope binary not found: $1" >&2
  exit 2
fi
if [[ ! -f $WEIGHTS ]]; then
  echo "weights not found: $2" >&2
  exit 2
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 2

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok    $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL  $1"
  shift
  for line in "$@"; do echo "      $line"; done
}
# check NAME COMMAND...: passes when the command succeeds.
check() {
  local name=$1
  shift
  if "$@" >"$TMP/check.out" 2>&1; then
    pass "$name"
  else
    fail "$name" "$(head -c 2000 "$TMP/check.out")"
  fi
}
# run_cli OUTPREFIX ARGS...: runs camscope, stdout/stderr/status to OUTPREFIX.{out,err,rc}.
run_cli() {
  local prefix=$1
  shift
  "$BIN" "$@" >"$prefix.out" 2>"$prefix.err"
  echo $? >"$prefix.rc"
}
rc_of() { cat "$1.rc"; }

# ------------------------------------------------------------------------------------------------
# Helper programs (Python standard library only): synthetic pictures, .npy and PNG readers.
cat >"$TMP/helpers.py" <<'EOF'
import ast, json, math, struct, sys, zlib

def png_bytes(w, h, rows, color_type):
    """rows: list of bytes objects, one per row, already in the colour type's layout."""
    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data +
                struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) +
            chunk(b"IEND", b""))

def make_rgb(path, w, h, seed):
    # Smooth gradients plus a bright disc and a dark square: something with structure.
    rows = []
    cx, cy, r = w * (0.3 + 0.1 * seed), h * 0.4, min(w, h) * 0.22
    for y in range(h):
        row = bytearray()
        for x in range(w):
            v = [int(255 * x / max(1, w - 1)), int(255 * y / max(1, h - 1)),
                 int(127 + 120 * math.sin((x + 2 * y) * 0.15 + seed))]
            if (x - cx) ** 2 + (y - cy) ** 2 < r * r:
                v = [250, 230, 40]
            if w * 0.6 < x < w * 0.85 and h * 0.55 < y < h * 0.85:
                v = [20, 30, 60 + (x * 7 + y * 3) % 90]
            row += bytes(max(0, min(255, c)) for c in v)
        rows.append(bytes(row))
    open(path, "wb").write(png_bytes(w, h, rows, 2))

def make_gray(path, w, h):
    rows = [bytes((x * 5 + y * 3) % 256 for x in range(w)) for y in range(h)]
    open(path, "wb").write(png_bytes(w, h, rows, 0))

def make_huge_header(path, w, h):
    # A valid IHDR announcing w x h RGB, then a tiny IDAT: only the header gets read.
    rows = [b"\x00" * 3]
    data = png_bytes(1, 1, rows, 2)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    fixed = (data[:8] + struct.pack(">I", 13) + b"IHDR" + ihdr +
             struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF) + data[33:])
    open(path, "wb").write(fixed)

def read_npy(path):
    b = open(path, "rb").read()
    assert b[:6] == b"\x93NUMPY", "not a .npy file"
    if b[6] == 1:
        hl, start = struct.unpack("<H", b[8:10])[0], 10
    else:
        hl, start = struct.unpack("<I", b[8:12])[0], 12
    hdr = ast.literal_eval(b[start:start + hl].decode("latin1"))
    assert hdr["descr"] == "<f4", hdr
    assert hdr["fortran_order"] is False, hdr
    n = 1
    for d in hdr["shape"]:
        n *= d
    body = b[start + hl:]
    assert len(body) == 4 * n, "data size %d != 4 * %d" % (len(body), n)
    return tuple(hdr["shape"]), list(struct.unpack("<%df" % n, body))

def png_size(path):
    b = open(path, "rb").read(32)
    assert b[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG"
    return struct.unpack(">II", b[16:24])

def png_color_type(path):
    return open(path, "rb").read(32)[25]

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "rgb":
        make_rgb(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "gray":
        make_gray(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "huge":
        make_huge_header(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "truncate":
        b = open(sys.argv[2], "rb").read()
        open(sys.argv[3], "wb").write(b[: len(b) // 2])
    elif cmd == "flip":  # flip every bit of one byte, counted from the end
        b = bytearray(open(sys.argv[2], "rb").read())
        b[-int(sys.argv[4])] ^= 0xFF
        open(sys.argv[3], "wb").write(bytes(b))
EOF
export PYTHONPATH="$TMP"

# Checks on a finished run, in Python: summary.json against the files on disk.
# Usage: verify.py OUTDIR PICTURE_STEM PICTURE_FILE METHODS CLASSES
#   METHODS: comma list, or "summary" for the methods summary.json says were run;
#   CLASSES: comma list of indices, or "all". The network's input shape (CxHxW) comes from
#   $CAMSCOPE_INPUT. Every output expected from the methods, layers, classes and --fuse is
#   checked: its name, .npy header and shape, statistics, and its PNG at the picture's size.
cat >"$TMP/verify.py" <<'EOF'
import json, math, os, sys
from helpers import read_npy, png_size, png_color_type

# The methods whose output is an input gradient (the rest are maps at a layer).
PICTURE = {"guidedbackprop", "guidedgradcam", "saliency", "smoothgrad"}
out, stem, pic, methods, classes = sys.argv[1:6]
IC, IH, IW = (int(v) for v in os.environ["CAMSCOPE_INPUT"].split("x"))
s = json.load(open(os.path.join(out, "summary.json")))
for key in ("weights", "network", "layer", "layer_shape", "layers", "methods", "fuse", "classes",
            "pictures"):
    assert key in s, "summary.json lacks " + key
methods = s["methods"] if methods == "summary" else methods.split(",")
assert s["methods"] == methods, "summary methods %r != %r" % (s["methods"], methods)
layers = [l["name"] for l in s["layers"]]
shapes = {l["name"]: l["shape"] for l in s["layers"]}
assert layers and s["layer"] == layers[0] and s["layer_shape"] == shapes[layers[0]]
names = s["classes"]
classes = list(range(len(names))) if classes == "all" else [int(c) for c in classes.split(",")]
entries = [p for p in s["pictures"] if p["file"] == pic]
assert len(entries) == 1, "picture %r not in summary.json once" % pic
p = entries[0]
assert "error" not in p, "picture failed: " + p.get("error", "")
pw, ph = png_size(pic)
size = (p["width"], p["height"])
assert size == (pw, ph), "size %r != %r" % (size, (pw, ph))
probs = p["probabilities"]
assert len(probs) == len(names) == len(p["logits"]), "one probability and logit per class"
assert abs(sum(probs) - 1.0) < 1e-4, "probabilities sum to %r" % sum(probs)
assert all(0.0 <= q <= 1.0 for q in probs)
best = max(range(len(names)), key=lambda i: p["logits"][i])
assert p["predicted"] == best and p["predicted_name"] == names[best], "predicted is not argmax"
assert p["forward_ms"] >= 0 and p["backward_ms"] >= 0

# What must be there: (method, kind, layer(s), class) -> (file base, .npy shape).
want = {}
for m in methods:
    for c in classes:
        cn = names[c]
        if m not in PICTURE:
            for l in layers:
                want[(m, "map", l, c)] = ("%s__%s__%s__%s" % (stem, m, l, cn), tuple(shapes[l][1:]))
            if s["fuse"]:
                want[(m, "fused", tuple(layers), c)] = (
                    "%s__%s__fused-%s__%s" % (stem, m, s["fuse"], cn), (IH, IW))
        elif m == "guidedgradcam":
            for l in layers:
                want[(m, "picture", l, c)] = ("%s__%s__%s__%s" % (stem, m, l, cn), (IH, IW, IC))
        else:
            want[(m, "picture", None, c)] = ("%s__%s__%s" % (stem, m, cn), (IH, IW, IC))
got = {}
for e in p["maps"]:
    where = tuple(e["layers"]) if e["kind"] == "fused" else e["layer"]
    key = (e["method"], e["kind"], where, e["class"])
    assert key not in got, "listed twice: %r" % (key,)
    got[key] = e
assert set(got) == set(want), "outputs %r, expected %r" % (sorted(got, key=str), sorted(want, key=str))
for key, e in got.items():
    base, shape = want[key]
    assert e["npy"] == base + ".npy", e["npy"]
    assert e["png"] == base + ".png", e["png"]
    assert e["class_name"] == names[e["class"]]
    if e["kind"] == "fused":
        assert e["fuse"] == s["fuse"]
    assert tuple(e["shape"]) == shape, "%s: shape %r != %r" % (e["npy"], e["shape"], shape)
    npy_shape, vals = read_npy(os.path.join(out, e["npy"]))  # also: float32, C order
    assert npy_shape == shape, "%s: npy shape %r != %r" % (e["npy"], npy_shape, shape)
    assert all(math.isfinite(v) for v in vals), e["npy"] + ": not finite"
    if e["kind"] != "picture":
        assert all(v >= 0.0 for v in vals), e["npy"] + ": a map below 0 (after ReLU)"
    assert abs(max(vals) - e["max"]) <= 1e-6 * max(1.0, abs(e["max"])), e["npy"] + ": max differs"
    assert abs(min(vals) - e["min"]) <= 1e-6 * max(1.0, abs(e["min"])), e["npy"] + ": min differs"
    assert e["empty"] == all(v == 0.0 for v in vals), e["npy"] + ": empty flag wrong"
    png = os.path.join(out, e["png"])
    assert png_size(png) == (pw, ph), e["png"] + ": not at the picture's size"
    assert png_color_type(png) == 2, e["png"] + ": not RGB"
assert p["features_pngs"] == ["%s__features__%s.png" % (stem, l) for l in layers]
assert p["features_png"] == p["features_pngs"][0]
for l in layers:
    C, H, W = shapes[l]
    gw, gh = png_size(os.path.join(out, "%s__features__%s.png" % (stem, l)))
    cols = math.ceil(math.sqrt(C))
    rows = math.ceil(C / cols)
    scale = (gw - 2 * (cols - 1)) / (cols * W)
    assert scale == int(scale) and W * scale >= 32 and H * scale >= 32, "grid %dx%d" % (gw, gh)
    assert gh == rows * H * scale + 2 * (rows - 1), "grid height %d" % gh
print("ok")
EOF

# ------------------------------------------------------------------------------------------------
# Pictures.
$PY "$TMP/helpers.py" rgb good.png 96 80 0
$PY "$TMP/helpers.py" rgb other.png 130 70 3
$PY "$TMP/helpers.py" gray gray.png 50 60
$PY "$TMP/helpers.py" truncate good.png trunc.png
$PY "$TMP/helpers.py" huge huge.png 12000 10000
echo "this is not a picture" >notes.txt
cp good.png 'we"ird\name.png'

# ------------------------------------------------------------------------------------------------
# layers
run_cli layers layers --weights "$WEIGHTS"
check "layers exits 0" test "$(rc_of layers)" = 0
check "layers lists features.N conv layers with CxHxW shapes" \
  grep -Eq '^ *[0-9]+ +features\.[0-9]+ +conv +[0-9]+x[0-9]+x[0-9]+$' layers.out
check "layers lists a linear classifier layer" \
  grep -Eq '^ *[0-9]+ +classifier\.[0-9]+ +linear +[0-9]+x1x1$' layers.out
check "layers ends with classes and input size" \
  bash -c "tail -n 1 layers.out | grep -Eq 'classes.*input [0-9]+x[0-9]+x[0-9]+'"
check "layers indices count up from 0" \
  bash -c "head -n -1 layers.out | awk '{ if (\$1 != NR - 1) exit 1 }'"
LAST_CONV=$(awk '$3 == "conv" { name = $2 } END { print name }' layers.out)
check "layers names a last conv layer ($LAST_CONV)" test -n "$LAST_CONV"
NCLASSES=$(tail -n 1 layers.out | grep -Eo '[0-9]+ classes' | grep -Eo '[0-9]+')
check "network has at least 2 classes" test "${NCLASSES:-0}" -ge 2
CAMSCOPE_INPUT=$(tail -n 1 layers.out | grep -Eo 'input [0-9]+x[0-9]+x[0-9]+' | cut -d' ' -f2)
export CAMSCOPE_INPUT
check "layers names the input shape ($CAMSCOPE_INPUT)" test -n "$CAMSCOPE_INPUT"
# The second convolution: a shallower layer (another resolution) for the multi-layer runs.
SHALLOW=$(awk '$3 == "conv" { n++; if (n == 2) print $2 }' layers.out)
check "layers names a second conv layer ($SHALLOW)" test -n "$SHALLOW" -a "$SHALLOW" != "$LAST_CONV"

# ------------------------------------------------------------------------------------------------
# classify: more pictures than one batch (16) with unreadable files among them; each line
# must be what classifying that picture alone prints (the batched forward pass is
# bit-identical to a single one), in the order given.
CLASSIFY=()
for i in $(seq 1 18); do
  $PY "$TMP/helpers.py" rgb "c$i.png" $((30 + i)) $((24 + 2 * i)) "$i"
  CLASSIFY+=("c$i.png")
  [[ $i = 7 || $i = 16 ]] && CLASSIFY+=(notes.txt)
done
run_cli cl classify "${CLASSIFY[@]}" gray.png --weights "$WEIGHTS"
check "classify with unreadable files exits 1" test "$(rc_of cl)" = 1
check "classify names each unreadable file on stderr" test "$(grep -c '^camscope: notes.txt: ' cl.err)" = 2
for f in "${CLASSIFY[@]}" gray.png; do "$BIN" classify "$f" --weights "$WEIGHTS" 2>/dev/null; done >cl1.out
check "classify: 19 lines, each as the picture alone prints it" \
  bash -c "test \$(wc -l <cl.out) = 19 && cmp cl.out cl1.out"

# ------------------------------------------------------------------------------------------------
# explain: one good picture, defaults
run_cli ex1 explain good.png --weights "$WEIGHTS" --out out1
check "explain good.png exits 0" test "$(rc_of ex1)" = 0
check "explain prints nothing on stderr" test ! -s ex1.err
check "explain prints the default layer (last conv $LAST_CONV)" grep -q "layer $LAST_CONV " ex1.out
check "explain prints the prediction with probabilities" \
  grep -Eq '^good\.png: [^ ]+ [01]\.[0-9]{2} \(' ex1.out
check "summary.json is valid JSON" $PY -m json.tool out1/summary.json
check "summary.json matches the files (names, shapes, stats, sizes, probabilities)" \
  $PY "$TMP/verify.py" out1 good good.png gradcam,layercam all
check "summary.json names the default layer" \
  $PY -c "import json,sys; assert json.load(open('out1/summary.json'))['layer'] == sys.argv[1]" \
  "$LAST_CONV"
CLS0=$($PY -c "import json; print(json.load(open('out1/summary.json'))['classes'][0])" 2>/dev/null)
CLS1=$($PY -c "import json; print(json.load(open('out1/summary.json'))['classes'][1])" 2>/dev/null)
for m in gradcam layercam; do
  f0="out1/good__${m}__${LAST_CONV}__${CLS0}.npy"
  f1="out1/good__${m}__${LAST_CONV}__${CLS1}.npy"
  check "$m .npy exists for classes $CLS0 and $CLS1" test -s "$f0" -a -s "$f1"
  check "$m .npy for class 0 and class 1 differ" bash -c "! cmp -s '$f0' '$f1'"
done
check "feature grid written" test -s "out1/good__features__${LAST_CONV}.png"

# ------------------------------------------------------------------------------------------------
# explain: selection of layer, method and class; other colour maps; gray picture
run_cli ex2 explain gray.png other.png --weights "$WEIGHTS" --out out2/nested \
  --layer features.0 --method gradcam --class "1" --colormap viridis --alpha 0.3
check "explain --layer features.0 --method gradcam --class 1 exits 0" test "$(rc_of ex2)" = 0
check "grayscale PNG explained" \
  $PY "$TMP/verify.py" out2/nested gray gray.png gradcam 1
check "second picture explained with selected method and class" \
  $PY "$TMP/verify.py" out2/nested other other.png gradcam 1
check "only the selected class and method written" \
  test "$(find out2/nested -name '*.npy' 2>/dev/null | wc -l)" = 2
run_cli ex3 explain good.png --weights "$WEIGHTS" --out out3 --class "$CLS1,0" \
  --method layercam --colormap gray
check "--class by name and index" $PY "$TMP/verify.py" out3 good good.png layercam 1,0

# --norm shared: the stronger class's overlay is unchanged, the weaker one is dimmer.
run_cli ex4 explain good.png --weights "$WEIGHTS" --out out4 --norm shared --method gradcam
check "--norm shared exits 0" test "$(rc_of ex4)" = 0
cat >"$TMP/shared.py" <<'EOF'
import json, sys
s = json.load(open("out4/summary.json"))
maps = s["pictures"][0]["maps"]
strong = max(maps, key=lambda m: m["max"])
weak = min(maps, key=lambda m: m["max"])
assert strong["max"] > weak["max"], "maps have equal maxima; nothing to compare"
a = open("out1/" + strong["png"], "rb").read()
b = open("out4/" + strong["png"], "rb").read()
assert a == b, "strongest map's overlay changed under --norm shared"
a = open("out1/" + weak["png"], "rb").read()
b = open("out4/" + weak["png"], "rb").read()
assert a != b, "weaker map's overlay unchanged under --norm shared"
EOF
check "--norm shared scales by the strongest class's max" $PY "$TMP/shared.py"

# JSON escaping of a file name with a quote and a backslash.
run_cli ex5 explain 'we"ird\name.png' --weights "$WEIGHTS" --out out5 --method gradcam
check "odd file name explained" test "$(rc_of ex5)" = 0
check "odd file name escaped in summary.json" \
  $PY "$TMP/verify.py" out5 we_ird_name 'we"ird\name.png' gradcam all

# ------------------------------------------------------------------------------------------------
# Bad pictures next to a good one: one line each, the good one still finishes, status 1.
run_cli bad explain notes.txt good.png trunc.png huge.png missing.png --weights "$WEIGHTS" \
  --out outbad
check "bad pictures make exit status 1" test "$(rc_of bad)" = 1
check "one stderr line per bad picture (4)" test "$(wc -l <bad.err)" = 4
check "text file reported on one line naming it" grep -q '^camscope: notes.txt: ' bad.err
check "truncated PNG reported on one line naming it" grep -q '^camscope: trunc.png: ' bad.err
check "enormous picture refused by size" grep -Eq '^camscope: huge.png: .*megapixel' bad.err
check "missing file reported" grep -q '^camscope: missing.png: cannot open' bad.err
check "good picture among bad ones still explained" \
  $PY "$TMP/verify.py" outbad good good.png gradcam,layercam all
cat >"$TMP/errors.py" <<'EOF'
import json
s = json.load(open("outbad/summary.json"))
files = [p["file"] for p in s["pictures"]]
assert files == ["notes.txt", "good.png", "trunc.png", "huge.png", "missing.png"], files
for p in s["pictures"]:
    if p["file"] != "good.png":
        assert set(p) == {"file", "error"} and p["error"], p
EOF
check "summary.json records the failed pictures with their errors" $PY "$TMP/errors.py"

# ------------------------------------------------------------------------------------------------
# Against the golden reference (when the weights sit in a golden case directory with
# picture.npy and cam__<method>__<layer>.npy): picture -> PNG -> CLI -> same logits and maps.
GOLDEN=$(dirname "$WEIGHTS")
if [[ -f $GOLDEN/picture.npy && -f $GOLDEN/meta.json && -f $GOLDEN/logits.npy ]]; then
  cat >"$TMP/golden.py" <<'EOF2'
import json, os, struct, sys, zlib
from helpers import png_bytes, read_npy

def read_u8_npy(path):
    import ast
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    hdr = ast.literal_eval(b[10:10 + hl].decode("latin1"))
    assert hdr["descr"] == "|u1", hdr
    return tuple(hdr["shape"]), b[10 + hl:]

golden, mode = sys.argv[1], sys.argv[2]
meta = json.load(open(os.path.join(golden, "meta.json")))
if mode == "png":
    (h, w, c), px = read_u8_npy(os.path.join(golden, "picture.npy"))
    assert c == 3
    rows = [px[y * w * 3:(y + 1) * w * 3] for y in range(h)]
    open("golden.png", "wb").write(png_bytes(w, h, rows, 2))
    print(meta["last_conv"])
else:
    s = json.load(open("outg/summary.json"))
    p = s["pictures"][0]
    _, logits = read_npy(os.path.join(golden, "logits.npy"))
    diff = max(abs(a - b) for a, b in zip(p["logits"], logits))
    assert diff < 1e-3, "logits %r vs golden %r" % (p["logits"], logits)
    layer = meta["last_conv"]
    assert s["layer"] == layer, s["layer"]
    for m in ("gradcam", "layercam"):
        shape, ref = read_npy(os.path.join(golden, "cam__%s__%s.npy" % (m, layer)))
        n = shape[1] * shape[2]
        for k in range(shape[0]):
            _, mine = read_npy("outg/golden__%s__%s__%s.npy" % (m, layer, s["classes"][k]))
            r = ref[k * n:(k + 1) * n]
            scale = max(max(r), 1e-12)
            err = max(abs(a - b) for a, b in zip(mine, r)) / scale
            assert err < 1e-3, "%s class %d: max error %g of the map's max" % (m, k, err)
EOF2
  GOLDEN_LAYER=$($PY "$TMP/golden.py" "$GOLDEN" png 2>&1)
  run_cli gold explain golden.png --weights "$WEIGHTS" --out outg
  check "golden picture explained (default layer $GOLDEN_LAYER)" test "$(rc_of gold)" = 0
  check "golden picture: logits and raw maps match the PyTorch reference" \
    $PY "$TMP/golden.py" "$GOLDEN" compare
fi

# ------------------------------------------------------------------------------------------------
# Every method. The registry's names come from the CLI's own message for a bad name; the list
# must hold at least the methods of issue 9, and `--help` must name each one.
run_cli badm explain good.png --weights "$WEIGHTS" --method gradcam,nosuch --out outbadm
check "bad method name exits 2" test "$(rc_of badm)" = 2
check "bad method name: one line naming it and listing the methods" \
  bash -c "test \$(wc -l <badm.err) = 1 && grep -q \"^camscope: unknown method 'nosuch'; methods are: gradcam, \" badm.err"
check "bad method name writes nothing" test ! -e outbadm/summary.json
METHODS=$(sed -n "s/^camscope: unknown method 'nosuch'; methods are: \(.*\) (or all)\$/\1/p" badm.err |
  tr -d ' ')
cat >"$TMP/known.py" <<'EOF'
import sys
listed = sys.argv[1].split(",")
issue9 = ["gradcam", "layercam", "gradcampp", "xgradcam", "hirescam", "gradcam_ew", "eigencam",
          "eigengradcam", "scorecam", "gradcam_neg", "layercam_neg", "guidedbackprop",
          "guidedgradcam", "saliency", "smoothgrad"]
missing = [m for m in issue9 if m not in listed]
assert not missing, "not listed: %r (listed: %r)" % (missing, listed)
assert len(set(listed)) == len(listed), listed
help_text = open("help.out").read()
for word in listed + ["--fuse", "--smoothgrad-samples", "--smoothgrad-noise", "--method", "all"]:
    assert word in help_text, "--help does not mention " + word
EOF
run_cli help --help
check "--help exits 0" test "$(rc_of help)" = 0
check "the error lists every method of issue 9; --help names them and the new options" \
  $PY "$TMP/known.py" "$METHODS"

# --method all on one picture (the golden picture when there is one, else good.png): every
# method's .npy (maps at the layer's size, input gradients H x W x 3 float32 at the network's
# input size) and PNGs at the picture's size, all in summary.json. At the first ReLU: Score-CAM
# runs a forward pass per channel, and the first layers have the fewest (the last conv, the
# default, is used above and in tests/test_methods.cpp); after a ReLU, because Grad-CAM++'s
# alpha = G^2 / (G^2 (2 + S_k G)) is ill-conditioned where a channel's sum S_k is negative
# (before a ReLU: on the first conv float32 and float64 PyTorch alone differ by 10%).
FIRST=$(awk '$3 == "relu" { print $2; exit }' layers.out)
check "layers names a ReLU ($FIRST)" test -n "$FIRST"
ALLPIC=good.png
[[ -f golden.png ]] && ALLPIC=golden.png
ALLSTEM=${ALLPIC%.png}
run_cli all explain "$ALLPIC" --weights "$WEIGHTS" --method all --layer "$FIRST" \
  --smoothgrad-samples 2 --out outall
check "--method all exits 0" test "$(rc_of all)" = 0
check "--method all: nothing on stderr when it is not a terminal (no progress lines)" \
  test ! -s all.err
check "--method all: summary.json lists every registered method, in order" \
  $PY -c "import json,sys; m = json.load(open('outall/summary.json'))['methods']; assert m == sys.argv[1].split(','), m" "$METHODS"
check "--method all: every output's name, .npy shape and statistics, PNG at the picture's size" \
  $PY "$TMP/verify.py" outall "$ALLSTEM" "$ALLPIC" summary all
IHW=$(echo "$CAMSCOPE_INPUT" | cut -dx -f2-3 | tr x ,)
check "--method all: guided backprop .npy is (${IHW}, 3) float32 read by NumPy" \
  $PY -c "import numpy as np, sys; a = np.load(sys.argv[1]); assert a.dtype == np.float32 and a.shape == ($IHW, 3), (a.dtype, a.shape)" \
  "outall/${ALLSTEM}__guidedbackprop__${CLS0}.npy"
check "--method all: Score-CAM's passes counted on stdout" \
  grep -Eq "^  scorecam at $FIRST: [0-9]+ masked forward passes" all.out
check "--method all: SmoothGrad's copies on stdout and in summary.json" \
  bash -c "grep -q '^  smoothgrad: 2 noisy copies, noise 0.15' all.out && $PY -c \"import json; s = json.load(open('outall/summary.json')); assert s['smoothgrad'] == {'samples': 2, 'noise': 0.15}, s['smoothgrad']\""

# The guided PNGs follow the stated rule, checked in NumPy from the CLI's own .npy: each
# channel resized to the picture (bilinear, align_corners=False), then (g - mean) / (std +
# 1e-5) * 0.1 + 0.5 over all values, clipped, times 255 truncated (1 apart allowed where
# float32 and float64 round a value across an integer).
cat >"$TMP/guided_png.py" <<'EOF'
import os, sys
import numpy as np
from PIL import Image
sys.path.insert(0, os.environ["TOOLS"])
from reference_methods import upsample_np

out, stem, pic, classes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
w, h = Image.open(pic).size
for name in ("guidedbackprop",):
    for cls in classes:
        g = np.load(os.path.join(out, "%s__%s__%s.npy" % (stem, name, cls))).astype(np.float64)
        big = np.stack([upsample_np(g[:, :, c], h, w) for c in range(g.shape[2])], axis=2)
        v = np.clip((big - big.mean()) / (big.std() + 1e-5) * 0.1 + 0.5, 0.0, 1.0)
        want = (v * 255.0).astype(np.int64)
        got = np.asarray(Image.open(os.path.join(out, "%s__%s__%s.png" % (stem, name, cls)))).astype(np.int64)
        assert got.shape == want.shape, (got.shape, want.shape)
        diff = np.abs(got - want)
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3, \
            "%s %s: %d values differ, up to %d" % (name, cls, (diff > 0).sum(), diff.max())
        assert got.std() > 0, "a flat picture"
EOF
if $PY -c "import numpy, PIL, torch" 2>/dev/null; then
  export TOOLS
  check "--method all: guided backprop PNGs at the picture's size follow the RGB rule (NumPy)" \
    $PY "$TMP/guided_png.py" outall "$ALLSTEM" "$ALLPIC" "$CLS0,$CLS1"
fi

# The CLI's raw outputs for every method against PyTorch / NumPy on the golden picture's
# input (tools/reference_methods.py's formulas, float64 autograd, no hooks): the maps at the
# run's layer, Score-CAM by a plain loop of masked forwards, guided backprop through a guided
# ReLU, saliency, Guided Grad-CAM, SmoothGrad with the core's noise generator; 1e-4 of each
# result's largest value.
if [[ $ALLPIC == golden.png ]] && $PY -c "import numpy, torch" 2>/dev/null; then
  cat >"$TMP/methods_ref.py" <<'EOF'
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.environ["TOOLS"])
import csw
import reference_methods as R

golden, out, stem = sys.argv[1:4]
s = json.load(open(os.path.join(out, "summary.json")))
layer = s["layer"]
names = s["classes"]
f = csw.read_csw(open(os.path.join(golden, "weights.csw"), "rb").read())
if f.version == 1:  # a chain: the same nodes as a graph for run_graph
    f.nodes = [csw.NodeSpec(L.name, L.type, ["input" if i == 0 else f.layers[i - 1].name],
                            R._v1_args(L)) for i, L in enumerate(f.layers)]
x0 = torch.from_numpy(np.load(os.path.join(golden, "input.npy"))).double()[None]
k = len(names)

def input_grads(x, relu=None, dtype=torch.float64):
    x = x.clone().to(dtype).requires_grad_(True)
    logits = csw.run_graph(f, x, relu=relu)
    return [torch.autograd.grad(logits[0, c], x, retain_graph=True)[0][0].double().numpy()
            for c in range(k)]

x = x0.clone().requires_grad_(True)
logits, vals = csw.run_graph(f, x, keep=True)
act = vals[layer]
A = act[0].detach().numpy()
G = [torch.autograd.grad(logits[0, c], act, retain_graph=True)[0][0].numpy() for c in range(k)]
ref = {}
for m, (wfn, mfn) in R.LAYER_METHODS.items():
    for c in range(k):
        ref[(m, c)] = R.weighted(A, wfn(A, G[c])) if wfn else mfn(A, G[c])
with torch.no_grad():  # Score-CAM: channel masks (upsampled, min-max normalised) times the input
    up = F.interpolate(act.detach(), size=x0.shape[2:], mode="bilinear", align_corners=False)[0]
    lo, hi = up.amin(dim=(1, 2)), up.amax(dim=(1, 2))
    flat = ~(hi > lo)
    mask = (up - lo[:, None, None]) / torch.where(flat, torch.ones_like(hi), hi - lo)[:, None, None]
    probs = torch.cat([torch.softmax(csw.run_graph(f, (x0 * mask[i:i + 32, None]).float()).double(), 1)
                       for i in range(0, mask.shape[0], 32)]).numpy()
W = np.where(flat.numpy()[:, None], 0.0, probs)
for c in range(k):
    ref[("scorecam", c)] = R.weighted(A, W[:, c])
sal = input_grads(x0)
guided = input_grads(x0, relu=R.GuidedReLU.apply)
sg = s["smoothgrad"]
xf = x0.float()
sigma = np.float32(sg["noise"]) * (xf.max() - xf.min()).item()
# The noisy copies in float32, as the core runs them: noise puts some values so near a ReLU's
# or max-pool's decision that float32 and float64 decide differently (1% apart seen).
noisy = [input_grads(xf + torch.from_numpy(sigma * R.smoothgrad_noise(x0.numel(), i)).reshape(x0.shape),
                     dtype=torch.float32) for i in range(sg["samples"])]
for c in range(k):
    cam = torch.from_numpy(ref[("gradcam", c)])[None, None]
    upc = F.interpolate(cam, size=x0.shape[2:], mode="bilinear", align_corners=False)[0, 0].numpy()
    upc = upc / upc.max() if upc.max() > 0 else upc * 0
    ref[("saliency", c)] = sal[c]
    ref[("guidedbackprop", c)] = guided[c]
    ref[("guidedgradcam", c)] = guided[c] * upc
    ref[("smoothgrad", c)] = np.mean([n[c] for n in noisy], axis=0)
compared, worst = set(), {}
for e in s["pictures"][0]["maps"]:
    mine = np.load(os.path.join(out, e["npy"])).astype(np.float64)
    want = ref[(e["method"], e["class"])]
    if e["kind"] == "picture":
        want = want.transpose(1, 2, 0)  # the CLI writes H x W x C
    assert mine.shape == want.shape, (e["npy"], mine.shape, want.shape)
    err = np.abs(mine - want).max() / max(np.abs(want).max(), 1e-12)
    worst[e["method"]] = max(worst.get(e["method"], 0.0), err)
    compared.add(e["method"])
bad = {m: e for m, e in worst.items() if not e < 1e-4}
assert not bad, "relative errors over 1e-4: %r" % bad
assert compared == {m for m, _ in ref}, "not compared: %r" % ({m for m, _ in ref} - compared)
print("worst relative error %.1e (%s)" % max((e, m) for m, e in worst.items()))
EOF
  check "--method all: every method's raw output equals PyTorch / NumPy's on the golden input" \
    $PY "$TMP/methods_ref.py" "$GOLDEN" outall golden
  grep -h "worst relative error" "$TMP/check.out" | sed 's/^/      /'
fi

# Several layers (named deep first; taken in network order) with --fuse: per-layer outputs
# and, per map method and class, the fusion at the network's input size, checked against
# the Layer-CAM paper's rule in NumPy (tools/reference_methods.py) applied to the CLI's own
# per-layer maps.
run_cli fuse explain other.png --weights "$WEIGHTS" --layer "$LAST_CONV,$SHALLOW" --fuse max \
  --method gradcam,eigencam,guidedgradcam --out outfuse
check "--layer A,B --fuse max exits 0" test "$(rc_of fuse)" = 0
check "--fuse: layers in network order, shallow to deep" \
  $PY -c "import json,sys; s = json.load(open('outfuse/summary.json')); assert [l['name'] for l in s['layers']] == sys.argv[1:], s['layers']" "$SHALLOW" "$LAST_CONV"
check "--fuse: per-layer and fused outputs listed, shapes and PNG sizes right" \
  $PY "$TMP/verify.py" outfuse other other.png gradcam,eigencam,guidedgradcam all
run_cli fusemean explain other.png --weights "$WEIGHTS" --layer "$SHALLOW,$LAST_CONV" --fuse mean \
  --method layercam --class 1 --out outfusemean
check "--fuse mean exits 0, outputs listed" \
  bash -c "test \$(cat fusemean.rc) = 0 && $PY '$TMP/verify.py' outfusemean other other.png layercam 1"
cat >"$TMP/fused.py" <<'EOF'
import json, os, sys
import numpy as np
sys.path.insert(0, os.environ["TOOLS"])
from reference_methods import fuse_np

n = 0
for out in sys.argv[1:]:
    s = json.load(open(os.path.join(out, "summary.json")))
    maps = s["pictures"][0]["maps"]
    for e in (e for e in maps if e["kind"] == "fused"):
        per = {(m["layer"]): m for m in maps
               if m["kind"] == "map" and m["method"] == e["method"] and m["class"] == e["class"]}
        layers = [per[l] for l in e["layers"]]
        got = np.load(os.path.join(out, e["npy"]))
        want = fuse_np([np.load(os.path.join(out, m["npy"])).astype(np.float64) for m in layers],
                       got.shape[0], got.shape[1], s["fuse"])
        err = np.abs(got - want).max()
        assert err < 1e-5, "%s: %g from the NumPy fusion" % (e["npy"], err)
        assert want.max() > 0, e["npy"] + ": an empty fusion proves nothing"
        n += 1
assert n >= 3, "only %d fused maps" % n
EOF
if $PY -c "import numpy, torch" 2>/dev/null; then
  check "--fuse max and mean: the fused .npy equals NumPy's rule on the per-layer .npy" \
    $PY "$TMP/fused.py" outfuse outfusemean
fi
run_cli nofuse explain other.png --weights "$WEIGHTS" --layer "$SHALLOW,$LAST_CONV" \
  --method gradcam --out outnofuse
check "several layers without --fuse: one set per layer, nothing fused" \
  $PY "$TMP/verify.py" outnofuse other other.png gradcam all
run_cli fuse1 explain other.png --weights "$WEIGHTS" --fuse max --out outfuse1
check "--fuse with one layer exits 2 with a message" \
  bash -c "test \$(cat fuse1.rc) = 2 && grep -q -- '--fuse needs two or more layers' fuse1.err"
run_cli fusebad explain other.png --weights "$WEIGHTS" --layer "$SHALLOW,$LAST_CONV" --fuse median \
  --out outfusebad
check "--fuse median exits 2 with a message" \
  bash -c "test \$(cat fusebad.rc) = 2 && grep -q \"unknown --fuse 'median'\" fusebad.err"

# Methods that need no gradients run no backward pass: Eigen-CAM's backward time is exactly
# 0, where Grad-CAM's (the first run, out1) is not.
run_cli eigen explain good.png --weights "$WEIGHTS" --method eigencam --out outeigen
check "eigencam exits 0" test "$(rc_of eigen)" = 0
check "eigencam runs no backward pass (backward_ms 0; gradcam's > 0)" \
  $PY -c "import json; b = lambda d: json.load(open(d + '/summary.json'))['pictures'][0]['backward_ms']; assert b('outeigen') == 0 and b('out1') > 0, (b('outeigen'), b('out1'))"
check "eigencam: the same map for every class" \
  cmp -s "outeigen/good__eigencam__${LAST_CONV}__${CLS0}.npy" "outeigen/good__eigencam__${LAST_CONV}__${CLS1}.npy"

# SmoothGrad's options are checked.
run_cli sg0 explain good.png --weights "$WEIGHTS" --method smoothgrad --smoothgrad-samples 0 --out outsg0
check "--smoothgrad-samples 0 exits 2" test "$(rc_of sg0)" = 2
run_cli sgn explain good.png --weights "$WEIGHTS" --method smoothgrad --smoothgrad-noise -1 --out outsgn
check "--smoothgrad-noise -1 exits 2" test "$(rc_of sgn)" = 2

# ------------------------------------------------------------------------------------------------
# Bad weights and bad usage: exit 2.
$PY "$TMP/helpers.py" flip "$WEIGHTS" corrupt.csw 5
run_cli cw explain good.png --weights corrupt.csw --out outcw
check "corrupt weights exit 2" test "$(rc_of cw)" = 2
check "corrupt weights: one line naming the file and the checksum" \
  bash -c "test \$(wc -l <cw.err) = 1 && grep -q '^camscope: corrupt.csw: .*checksum' cw.err"
run_cli cwl layers --weights corrupt.csw
check "corrupt weights in layers exit 2" test "$(rc_of cwl)" = 2
run_cli mw layers --weights nowhere.csw
check "missing weights exit 2 with a message" \
  bash -c "test \$(cat mw.rc) = 2 && grep -q '^camscope: nowhere.csw: ' mw.err"
run_cli ul explain good.png --weights "$WEIGHTS" --layer features.99 --out outul
check "unknown layer exits 2" test "$(rc_of ul)" = 2
check "unknown layer message lists valid names" \
  grep -q "features.99.*features.0.*$LAST_CONV" ul.err
check "unknown layer writes no maps" test ! -e outul/summary.json
run_cli uc explain good.png --weights "$WEIGHTS" --class nosuchclass --out outuc
check "unknown class exits 2" test "$(rc_of uc)" = 2
run_cli um explain good.png --weights "$WEIGHTS" --method nosuch --out outum
check "unknown method exits 2" test "$(rc_of um)" = 2
run_cli ua explain good.png --weights "$WEIGHTS" --alpha 2 --out outua
check "alpha out of range exits 2" test "$(rc_of ua)" = 2
run_cli np explain --weights "$WEIGHTS"
check "explain without pictures exits 2 with usage" \
  bash -c "test \$(cat np.rc) = 2 && grep -q 'usage' np.err"
run_cli nc frobnicate
check "unknown command exits 2" test "$(rc_of nc)" = 2
run_cli nw explain good.png
check "explain without --weights exits 2" test "$(rc_of nw)" = 2

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
