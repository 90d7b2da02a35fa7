#!/usr/bin/env bash
# camscope evaluate end to end: a folder with cat/ and dog/ sub-folders (pictures made here),
# the CSV / JSON / SVG it writes, their agreement, and the messages for bad arguments.
#   tests/evaluate_test.sh build/camscope WEIGHTS.csw
set -uo pipefail
CLI=$1
WEIGHTS=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
failn=0
check() {
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    echo "ok    $what"
    pass=$((pass + 1))
  else
    echo "FAIL  $what"
    failn=$((failn + 1))
  fi
}
mkdir -p "$tmp/set/cat" "$tmp/set/dog" "$tmp/set/other"
/usr/bin/python3 - "$tmp/set" <<'PY'
import sys, numpy as np
from PIL import Image
rng = np.random.default_rng(7)
for i, folder in enumerate(["cat", "cat", "dog", "dog", "other"]):
    h, w = 90 + 10 * i, 120
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 2 + 40 * i) % 256, (y * 3) % 256, (x + y + 20 * i) % 256], -1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(f"{sys.argv[1]}/{folder}/p{i}.png")
PY
out="$tmp/out"
"$CLI" evaluate "$tmp/set" --weights "$WEIGHTS" --method gradcam,layercam --steps 8 --road 25,75 \
  --sanity 1 --out "$out" >"$tmp/stdout" 2>"$tmp/stderr"
check "evaluate exits 0" test $? -eq 0
check "writes evaluate.csv, evaluate.json, curves.svg" test -s "$out/evaluate.csv" -a -s "$out/evaluate.json" -a -s "$out/curves.svg"
check "prints the accuracy over the class folders" grep -q "accuracy on the 4 pictures in class folders" "$tmp/stdout"
/usr/bin/python3 - "$out" "$tmp/report" <<'PY'
import csv, json, sys, xml.dom.minidom
out, report = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{out}/evaluate.csv")))
doc = json.load(open(f"{out}/evaluate.json"))
xml.dom.minidom.parse(f"{out}/curves.svg")
res = []
res.append(("5 pictures x 3 methods (random added) = 15 CSV rows", len(rows) == 15 and len(doc["rows"]) == 15))
res.append(("a random-map baseline is scored", {r["method"] for r in rows} == {"gradcam", "layercam", "random"}))
res.append(("folder pictures scored for their folder's class, others for the prediction",
            all(r["class"] == r["true_class"] for r in rows if r["true_class"]) and
            all(r["class"] == r["predicted"] for r in rows if not r["true_class"])))
def auc(c):
    return sum((a + b) / 2 for a, b in zip(c, c[1:])) / (len(c) - 1)
ok = all(abs(auc(j["deletion"]) - float(r["deletion_auc"])) < 1e-5 and abs(auc(j["insertion"]) - float(r["insertion_auc"])) < 1e-5
         for r, j in zip(rows, doc["rows"]))
res.append(("CSV areas equal the JSON curves' trapezoids", ok))
res.append(("curves have steps + 1 points, ROAD two percentages", all(len(j["deletion"]) == 9 and len(j["road_morf"]) == 2 for j in doc["rows"])))
res.append(("deletion ends and insertion starts on the baselines (same for every method of a picture)",
            len({round(j["deletion"][-1], 6) for j in doc["rows"] if j["picture"].endswith("p0.png")}) == 1))
res.append(("drop = max(0, Y - O) / Y", all(abs(float(r["drop"]) - max(0.0, float(r["original_prob"]) - float(r["masked_prob"])) / float(r["original_prob"])) < 1e-5 for r in rows)))
res.append(("sanity steps for the first picture's gradient methods", all(len(j["sanity"]) > 2 for j in doc["rows"][:2])))
res.append(("summary per method with definitions", set(doc["summary"]) == {"gradcam", "layercam", "random"} and "average_drop" in doc["definitions"]))
open(report, "w").write("\n".join(f"{'ok' if ok else 'FAIL'}\t{what}" for what, ok in res))
PY
while IFS=$'\t' read -r status what; do
  check "$what" test "$status" = ok
done <"$tmp/report"
"$CLI" evaluate "$tmp/set" --weights "$WEIGHTS" --method guidedbackprop >/dev/null 2>"$tmp/err1"
check "a picture method is refused with a message" grep -q "not a map method" "$tmp/err1"
"$CLI" evaluate "$tmp/set" --weights "$WEIGHTS" --steps 0 >/dev/null 2>"$tmp/err2"
check "--steps 0 is refused" grep -q "steps is 1..1000" "$tmp/err2"
"$CLI" evaluate "$tmp/nothing" --weights "$WEIGHTS" >/dev/null 2>"$tmp/err3"
check "a missing picture is reported and the run fails" test $? -ne 0
echo "$pass passed, $failn failed"
test "$failn" -eq 0
