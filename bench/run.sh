#!/usr/bin/env bash
# The side-by-side benchmark (a script, not a test): camscope vs ONNX Runtime Web vs
# TensorFlow.js in headless Chromium and in Node, plus native camscope and PyTorch, on the
# shipped model and torchvision's AlexNet (random weights, int8 like the shipped file).
#   bench/run.sh [--reps N] [--models shipped,tv] [--hosts chromium,node,native,torch] [--no-build]
# Needs: tools/setup.sh --test's toolchain (chromium, Debian's PyTorch at /usr/bin/python3),
# plus Eigen's headers for the per-layer "before" column (installed here if missing).
# Writes build/bench/ (models, ~0.8 GB), build-bench/ (binaries), bench/results/<date>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
build=1
args=()
for a in "$@"; do
  if [ "$a" = --no-build ]; then build=0; else args+=("$a"); fi
done

tools/setup.sh --test
if ! dpkg-query -W -f='${Status}' libeigen3-dev 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends libeigen3-dev
fi
[ -d bench/node_modules/onnxruntime-web ] || (cd bench && npm ci --no-audit --no-fund)
[ "$build" = 1 ] && tools/build.sh >/dev/null

# Models: the shipped file and torchvision's AlexNet (seed 0, 2 classes, int8), each also as
# ONNX and as raw float32 for TF.js, all from the same .csw (tools/export_onnx.py).
mkdir -p build/bench build-bench
py=/usr/bin/python3
if [ ! -f build/bench/shipped.onnx ]; then
  $py tools/export_onnx.py weights/camscope_catsdogs_int8.csw --onnx build/bench/shipped.onnx --raw build/bench/shipped_raw
fi
if [ ! -f build/bench/tv.onnx ]; then
  $py -c "import torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.alexnet(num_classes=2).state_dict(), 'build/bench/tv_alexnet_state.pt')"
  $py tools/export.py --state build/bench/tv_alexnet_state.pt --arch alexnet --num-classes 2 --dtype int8 \
    --classes cat,dog --name tv_alexnet --out build/bench/tv_alexnet_int8.csw >/dev/null
  $py tools/export_onnx.py build/bench/tv_alexnet_int8.csw --onnx build/bench/tv.onnx --raw build/bench/tv_raw
fi
# The picture: tests/golden/shipped/both.picture.npy (224x224 RGB) as RGBA.
$py -c "
import numpy as np
a = np.load('tests/golden/shipped/both.picture.npy')
open('build/bench/picture.rgba', 'wb').write(np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], 2).tobytes())"

# Native camscope (the core library of build/) and the per-layer kernel benchmark.
g++ -O3 -std=c++17 -ffp-contract=off -Iwasm bench/native_bench.cpp build/libcamscope_core.a -o build-bench/native_bench
flags=(-O3 -std=c++17 -ffp-contract=off -DEIGEN_MPL2_ONLY -DEIGEN_NO_DEBUG -Iwasm -isystem /usr/include/eigen3)
g++ "${flags[@]}" bench/layer_bench.cpp wasm/kernels/*.cpp -o build-bench/layer_bench_native
em++ "${flags[@]}" -msimd128 -DEIGEN_DONT_VECTORIZE bench/layer_bench.cpp wasm/kernels/*.cpp \
  -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node -sSINGLE_FILE=1 -o build-bench/layer_bench.js 2>/dev/null

echo "== per-layer kernels, native (g++ -O3, SSE2)" >&2
build-bench/layer_bench_native 9 | grep -v '^JSON' >&2
echo "== per-layer kernels, WebAssembly SIMD in Node" >&2
node build-bench/layer_bench.js 9 | grep -v '^JSON' >&2
echo "== engines" >&2
node bench/bench.mjs "${args[@]}"
