#!/usr/bin/env bash
# The side-by-side benchmark (a script, not a test): camscope vs ONNX Runtime Web vs
# TensorFlow.js in headless Chromium and in Node, plus native camscope and PyTorch, on the
# shipped model, torchvision's AlexNet, ResNet18 and VGG16 (random weights with seed 0, 2
# classes, int8 like the shipped file).
#   bench/run.sh [--reps N] [--models shipped,tv,resnet18,vgg16] [--hosts chromium,node,native,torch] [--no-build]
# Needs: tools/setup.sh --test's toolchain (chromium, Debian's PyTorch at /usr/bin/python3),
# plus Eigen's headers for the per-layer "before" column (installed here if missing).
# Writes build/bench/ (models, ~2.3 GB), build-bench/ (binaries), bench/results/<date>.json.
# Memory: VGG16 in Chromium holds its weights three times (camscope int8, ONNX Runtime and
# TF.js float32), about 4 GB in one tab.
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
# The graphs (.csw version 2): torchvision's ResNet18 and VGG16, 2 classes, seed 0, int8; ONNX
# and the TF.js manifest from the same file (tools/export_onnx.py traces csw.run_graph).
for arch in resnet18 vgg16; do
  if [ ! -f build/bench/$arch.onnx ]; then
    $py tools/export.py --random-weights 0 --arch $arch --num-classes 2 --classes cat,dog --dtype int8 \
      --name $arch --out build/bench/${arch}_int8.csw >/dev/null
    $py tools/export_onnx.py build/bench/${arch}_int8.csw --onnx build/bench/$arch.onnx --raw build/bench/${arch}_raw
  fi
done
# The picture: tests/golden/shipped/both.picture.npy (224x224 RGB) as RGBA.
$py -c "
import numpy as np
a = np.load('tests/golden/shipped/both.picture.npy')
open('build/bench/picture.rgba', 'wb').write(np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], 2).tobytes())"

# Native camscope (the core library of build/) and the per-layer kernel benchmark.
g++ -O3 -std=c++17 -ffp-contract=off -Iwasm bench/native_bench.cpp build/libcamscope_core.a -o build-bench/native_bench
# Per-node timing of the graphs (where the time goes), natively and in WebAssembly.
g++ -O3 -std=c++17 -ffp-contract=off -Iwasm bench/node_bench.cpp build/libcamscope_core.a -o build-bench/node_bench_native
em++ -O3 -std=c++17 -ffp-contract=off -msimd128 -Iwasm bench/node_bench.cpp build-wasm/libcamscope_core.a \
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sENVIRONMENT=node -sNODERAWFS=1 -sSINGLE_FILE=1 \
  -o build-bench/node_bench.js 2>/dev/null
flags=(-O3 -std=c++17 -ffp-contract=off -DEIGEN_MPL2_ONLY -DEIGEN_NO_DEBUG -Iwasm -isystem /usr/include/eigen3)
g++ "${flags[@]}" bench/layer_bench.cpp wasm/kernels/*.cpp -o build-bench/layer_bench_native
em++ "${flags[@]}" -msimd128 -DEIGEN_DONT_VECTORIZE bench/layer_bench.cpp wasm/kernels/*.cpp \
  -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node -sSINGLE_FILE=1 -o build-bench/layer_bench.js 2>/dev/null

echo "== per-layer kernels, native (g++ -O3, SSE2)" >&2
build-bench/layer_bench_native 9 | grep -v '^JSON' >&2
echo "== per-layer kernels, WebAssembly SIMD in Node" >&2
node build-bench/layer_bench.js 9 | grep -v '^JSON' >&2
for m in resnet18:layer4 vgg16:features.29; do
  echo "== per node, ${m%%:*} (CAM layer ${m#*:}), native" >&2
  build-bench/node_bench_native build/bench/${m%%:*}_int8.csw build/bench/picture.rgba 5 "${m#*:}" | grep -v '^JSON' >&2
  echo "== per node, ${m%%:*}, WebAssembly SIMD in Node" >&2
  node build-bench/node_bench.js build/bench/${m%%:*}_int8.csw build/bench/picture.rgba 5 "${m#*:}" | grep -v '^JSON' >&2
done
echo "== engines" >&2
node bench/bench.mjs "${args[@]}"
