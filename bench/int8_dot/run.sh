#!/usr/bin/env bash
# Integer path for conv1/conv2, measured (issue 11): the 4x8 micro-kernel with f32x4 mul + add
# against i32x4.dot_i16x8_s in Node, and what integer inputs to those two layers do to the
# shipped model's logits and maps (accuracy.py, PyTorch). README, Performance, "Speed II".
#   bench/int8_dot/run.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../build/int8_dot"
mkdir -p "$out"
em++ -O3 -msimd128 -I"$here/../../wasm/kernels" "$here/kernel.cpp" \
  "$here/../../wasm/kernels/f32_gemm_4x8__wasmsimd.cpp" -o "$out/kernel.wasm" --no-entry -sSTANDALONE_WASM \
  -sEXPORTED_FUNCTIONS=_k_f32,_k_dot,_malloc -sINITIAL_MEMORY=16MB
echo "== Node $(node --version)"
node "$here/node_run.mjs" "$out/kernel.wasm" "${1:-31}"
echo "== accuracy (PyTorch, float64)"
/usr/bin/python3 "$here/accuracy.py"
