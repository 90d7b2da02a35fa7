#!/usr/bin/env bash
# Builds the native CLI and tests (build/) and both WebAssembly modules (build-wasm/), then
# generates the page's scripts in web/ (git-ignored; see web/README.md): camscope_page.js,
# camscope_core_simd.js, camscope_core_nosimd.js, samples.js, weights.js.
#   tools/build.sh [--threads]
# --threads also builds the threaded module (build-wasm-mt/, pthreads) and
# web/camscope_core_mt.js, which the page runs when served cross-origin isolated
# (tools/serve.py, as tools/demo.sh does); without it an older camscope_core_mt.js goes.
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
if [ "${1:-}" = "--threads" ]; then
  if [ ! -f build-wasm-mt/CMakeCache.txt ]; then
    emcmake cmake -S . -B build-wasm-mt -DCMAKE_BUILD_TYPE=Release -DCAMSCOPE_THREADS=ON >/dev/null
  fi
  cmake --build build-wasm-mt -j"$jobs" --target camscope_mt
  mt=(--wasm-mt build-wasm-mt)
else
  mt=()
fi

if [ -d web ]; then
  # The page's generated files (all git-ignored; see web/README.md): the page's modules as
  # one classic script, each core as a JS string for the worker, the samples and the shipped
  # weights inlined, so that web/index.html also works from file://.
  node tools/bundle_web.mjs --wasm build-wasm "${mt[@]}" --web web
  if [ -f weights/camscope_catsdogs_int8.csw ]; then
    /usr/bin/python3 tools/embed_weights.py weights/camscope_catsdogs_int8.csw web/weights.js
  else
    echo "build: weights/camscope_catsdogs_int8.csw is missing: the page has no model (web/weights.js)" >&2
  fi
  rm -f web/camscope.js web/camscope_nosimd.js  # older builds copied the bare modules here
fi
echo "build: native in build/, wasm in build-wasm/"
