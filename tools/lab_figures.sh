#!/usr/bin/env bash
# Builds every figure of the lab guide (docs/lab.md, docs/lab.zh-CN.md) from the CLI and,
# for the traps, PyTorch on the same weights (tools/lab_figures.py), with the numbers the
# guide quotes in lab_numbers.json.
#
#   tools/lab_figures.sh                 # into docs/figures/
#   tools/lab_figures.sh --out DIR       # somewhere else (the test: tests/CMakeLists.txt lab_figures)
#   tools/lab_figures.sh --check         # regenerate into a temp folder, compare with docs/figures/
#   tools/lab_figures.sh --val N         # also Grad-CAM vs Layer-CAM over the first N cat and N dog
#                                        # photos of ../shared/data/catsdogs/val (lab_numbers_val.json,
#                                        # q5_curves_val.svg; the guide's numbers come from --val 24;
#                                        # with --check they are compared too, else left alone)
# Needs build/camscope (tools/build.sh) and PyTorch at /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CAMSCOPE_CLI:-build/camscope}
# The exact kernel class: the same floats on every x86-64 CPU and in the page (the fast AVX2+FMA
# class rounds differently; wasm/kernels/config.h).
export CAMSCOPE_KERNELS=exact
weights=weights/camscope_catsdogs_int8.csw
out=docs/figures
check=0
val=0
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --check) check=1; shift ;;
    --val) val=$2; shift 2 ;;
    *) echo "lab_figures.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$cli" ] || { echo "lab_figures.sh: $cli missing: run tools/build.sh" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$check" = 1 ]; then
  ref=$out
  out=$work/figures
fi
mkdir -p "$out"
rm -f "$out"/lab_numbers.json
pics=(web/samples/cat.jpg web/samples/dog.jpg web/samples/both.png)

# Q1-Q5: every channel of the last conv, Grad-CAM / Layer-CAM / Guided Grad-CAM for both
# classes at the last conv (13x13) and the pooled layer (6x6), shared normalisation (the
# page's default); features.15 for the in-place ReLU trap's check.
"$cli" explain "${pics[@]}" --weights $weights --layer features.14,features.15,avgpool \
  --method gradcam,layercam,guidedgradcam --class all --colormap viridis --norm shared \
  --out "$work/explain" >/dev/null
# Q5 side by side: each map normalised on its own (the shapes).
"$cli" explain "${pics[@]}" --weights $weights --layer features.14 --method gradcam,layercam \
  --class all --colormap viridis --norm permap --out "$work/permap" >/dev/null
# Q5 numbers: deletion / insertion (50 steps, RISE's baselines), Average Drop, Increase in
# Confidence, with the random-map baseline: cat.jpg and dog.jpg for their predicted class,
# both.png for both classes.
"$cli" evaluate web/samples/cat.jpg web/samples/dog.jpg --weights $weights --layer features.14 \
  --method gradcam,layercam --class predicted --road none --out "$work/evaluate" 2>/dev/null >/dev/null
"$cli" evaluate web/samples/both.png --weights $weights --layer features.14 \
  --method gradcam,layercam --class all --road none --out "$work/evaluate_both" 2>/dev/null >/dev/null

/usr/bin/python3 tools/lab_figures.py compose "$work" "$out"
/usr/bin/python3 tools/lab_figures.py traps "$work" "$out"

if [ "$val" -gt 0 ]; then
  data=../shared/data/catsdogs/val
  for c in cat dog; do
    mkdir -p "$work/val/$c"
    ls "$data/$c" | sort -V | head -n "$val" | while read -r f; do ln -s "$PWD/$data/$c/$f" "$work/val/$c/$f"; done
  done
  "$cli" evaluate "$work/val" --weights $weights --layer features.14 --method gradcam,layercam \
    --road none --out "$work/val_eval" 2>/dev/null >/dev/null
  /usr/bin/python3 tools/lab_figures.py val "$work/val_eval" "$out" "$val"
  cp "$work/val_eval/curves.svg" "$out/q5_curves_val.svg"
fi

if [ "$check" = 1 ]; then
  /usr/bin/python3 tools/lab_figures.py check "$ref" "$out"
else
  du -ch "$out"/* | tail -1
fi
