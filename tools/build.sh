#!/usr/bin/env bash
# Builds the native CLI and tests (build/) and both WebAssembly modules (build-wasm/), then
# puts the page's generated files into web/: camscope.js, camscope_nosimd.js, weights.js.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCAMSCOPE_WASM_DIR="$PWD/build-wasm" >/dev/null
cmake --build build -j"$jobs"

if [ ! -f build-wasm/CMakeCache.txt ]; then
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build-wasm -j"$jobs"

if [ -d web ]; then
  cp build-wasm/camscope.js build-wasm/camscope_nosimd.js web/
  if [ -f weights/camscope_catsdogs_int8.csw ]; then
    python3 tools/embed_weights.py weights/camscope_catsdogs_int8.csw web/weights.js
  fi
fi
echo "build: native in build/, wasm in build-wasm/"
