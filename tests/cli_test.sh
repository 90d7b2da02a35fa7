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
# Usage: verify.py OUTDIR PICTURE_STEM PICTURE_FILE METHODS(comma) CLASSES(comma indices or "all")
cat >"$TMP/verify.py" <<'EOF'
import json, math, os, sys
from helpers import read_npy, png_size

out, stem, pic, methods, classes = sys.argv[1:6]
methods = methods.split(",")
s = json.load(open(os.path.join(out, "summary.json")))
for key in ("weights", "network", "layer", "layer_shape", "classes", "pictures"):
    assert key in s, "summary.json lacks " + key
C, H, W = s["layer_shape"]
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
maps = p["maps"]
want = [(m, c) for m in methods for c in classes]
got = [(m["method"], m["class"]) for m in maps]
assert sorted(got) == sorted(want), "maps %r, expected %r" % (got, want)
for m in maps:
    base = "%s__%s__%s__%s" % (stem, m["method"], s["layer"], names[m["class"]])
    assert m["npy"] == base + ".npy", m["npy"]
    assert m["png"] == base + ".png", m["png"]
    assert m["layer"] == s["layer"] and m["class_name"] == names[m["class"]]
    shape, vals = read_npy(os.path.join(out, m["npy"]))
    assert shape == (H, W), "npy shape %r != %r" % (shape, (H, W))
    assert all(math.isfinite(v) and v >= 0.0 for v in vals), "map not finite and >= 0 (ReLU)"
    assert abs(max(vals) - m["max"]) <= 1e-6 * max(1.0, abs(m["max"])), "max differs"
    assert abs(min(vals) - m["min"]) <= 1e-6 * max(1.0, abs(m["min"])), "min differs"
    assert m["empty"] == all(v == 0.0 for v in vals), "empty flag wrong"
    assert png_size(os.path.join(out, m["png"])) == (pw, ph), "overlay not at picture size"
grid = "%s__features__%s.png" % (stem, s["layer"])
gw, gh = png_size(os.path.join(out, grid))
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
