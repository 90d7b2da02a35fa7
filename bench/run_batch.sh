#!/usr/bin/env bash
# Batched throughput (bench/batch_bench.cpp): pictures/s of forward_batch at N = 1, 8, 32 and
# of the page's single forward, natively (g++ -O3, the core of build/) and in WebAssembly
# (em++, Node; the SIMD core of build-wasm/), on the shipped model and torchvision's AlexNet.
# Run tools/build.sh first.   bench/run_batch.sh [--threads] [ROUNDS]
# --threads: the threaded cores instead (native: build-mt/, configured here; WebAssembly:
# build-wasm-mt/ of tools/build.sh --threads), one thread and one per core timed interleaved.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
threads=0
if [ "${1:-}" = --threads ]; then threads=1; shift; fi
rounds="${1:-5}"
mkdir -p build/bench build-bench
py=/usr/bin/python3
[ -f build/bench/picture.rgba ] || $py -c "
import numpy as np
a = np.load('tests/golden/shipped/both.picture.npy')
open('build/bench/picture.rgba', 'wb').write(np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], 2).tobytes())"
if [ ! -f build/bench/tv_alexnet_int8.csw ]; then
  $py -c "import torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.alexnet(num_classes=2).state_dict(), 'build/bench/tv_alexnet_state.pt')"
  $py tools/export.py --state build/bench/tv_alexnet_state.pt --arch alexnet --num-classes 2 --dtype int8 \
    --classes cat,dog --name tv_alexnet --out build/bench/tv_alexnet_int8.csw >/dev/null
fi
# The core libraries and the flags of the chosen build (threaded: its defines and pthreads).
native_lib=build/libcamscope_core.a wasm_lib=build-wasm/libcamscope_core.a
flags=() emflags=(-sENVIRONMENT=node)
if [ $threads = 1 ]; then
  cmake -S . -B build-mt -DCMAKE_BUILD_TYPE=Release -DCAMSCOPE_THREADS=ON >/dev/null
  cmake --build build-mt -j"$(nproc)" --target camscope_core >/dev/null
  [ -f build-wasm-mt/libcamscope_mt_core.a ] || { echo "run tools/build.sh --threads first" >&2; exit 1; }
  native_lib=build-mt/libcamscope_core.a wasm_lib=build-wasm-mt/libcamscope_mt_core.a
  flags=(-DCAMSCOPE_THREADS=1 -DCAMSCOPE_MAX_THREADS=4 -pthread)
  emflags=(-sENVIRONMENT=node,worker -sUSE_PTHREADS=1 -sPTHREAD_POOL_SIZE=3 -Wno-pthreads-mem-growth -sEXIT_RUNTIME=1)
fi
g++ -O3 -std=c++17 -ffp-contract=off "${flags[@]}" -Iwasm bench/batch_bench.cpp $native_lib -o build-bench/batch_bench
em++ -O3 -std=c++17 -ffp-contract=off -msimd128 -mbulk-memory "${flags[@]}" -Iwasm bench/batch_bench.cpp $wasm_lib \
  "${emflags[@]}" -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sNODERAWFS=1 -sSINGLE_FILE=1 \
  -o build-bench/batch_bench.js 2>/dev/null
echo "load before: $(uptime)"
for m in weights/camscope_catsdogs_int8.csw build/bench/tv_alexnet_int8.csw; do
  echo "== $(basename "$m"), native (g++ -O3; kernels as the CLI chooses them)"
  build-bench/batch_bench "$m" build/bench/picture.rgba "$rounds"
  echo "== $(basename "$m"), WebAssembly SIMD (Node $(node --version))"
  node build-bench/batch_bench.js "$m" build/bench/picture.rgba "$rounds"
done
echo "load after: $(uptime)"
