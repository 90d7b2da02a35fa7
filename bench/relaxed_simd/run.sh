#!/usr/bin/env bash
# WebAssembly relaxed SIMD, measured: the 4x8 GEMM micro-kernel with f32x4 mul + add (the
# exact class) and with f32x4.relaxed_madd, in Node 20 (CPU time; its V8 11.3 needs
# --experimental-wasm-relaxed-simd) and in Debian's Chromium (wall time, no flags). See the
# README's Performance section, "Kernels", for the numbers and the decision.
#   bench/relaxed_simd/run.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../build/relaxed_simd"
rounds="${1:-31}"
mkdir -p "$out"
emcc -O3 -msimd128 -mrelaxed-simd "$here/kernel.c" -o "$out/prestandard.wasm" --no-entry \
  -sSTANDALONE_WASM -sEXPORTED_FUNCTIONS=_k_muladd,_k_madd,_malloc -sINITIAL_MEMORY=16MB
python3 "$here/rewrite.py" "$out/prestandard.wasm" "$out/relaxed.wasm" 8
echo "== Node $(node --version), pre-standard opcode, --experimental-wasm-relaxed-simd"
node --experimental-wasm-relaxed-simd "$here/node_run.mjs" "$out/prestandard.wasm" "$rounds"
echo "== Node $(node --version), standard opcode, no flag"
node "$here/node_run.mjs" "$out/relaxed.wasm" "$rounds"
echo "== Node $(node --version), standard opcode, --experimental-wasm-relaxed-simd"
node --experimental-wasm-relaxed-simd "$here/node_run.mjs" "$out/relaxed.wasm" "$rounds"
if command -v chromium >/dev/null; then
  python3 - "$out" "$here/measure.cjs" "$rounds" <<'PY'
import base64, sys
out, measure, rounds = sys.argv[1:4]
b64 = {n: base64.b64encode(open(f"{out}/{n}.wasm", "rb").read()).decode() for n in ("prestandard", "relaxed")}
page = f"""<!doctype html><meta charset="utf-8"><pre id="out"></pre><script>{open(measure).read()}
const b64 = (s) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
const pre = b64("{b64['prestandard']}"), rel = b64("{b64['relaxed']}");
const lines = ["pre-standard validates: " + WebAssembly.validate(pre) + ", standard validates: " + WebAssembly.validate(rel)];
if (WebAssembly.validate(rel)) {{
  const mod = new WebAssembly.Module(rel), imports = {{}};
  for (const i of WebAssembly.Module.imports(mod)) (imports[i.module] ||= {{}})[i.name] = () => 0;
  lines.push(...measureKernels(new WebAssembly.Instance(mod, imports).exports, () => performance.now(), {rounds}));
}}
document.getElementById("out").textContent = lines.join("\\n");
</script>"""
open(f"{out}/page.html", "w").write(page)
PY
  echo "== $(chromium --version | head -1), no flags"
  timeout 600 chromium --headless=new --no-sandbox --disable-gpu --virtual-time-budget=300000 \
    --dump-dom "file://$out/page.html" 2>/dev/null |
    python3 -c "import sys, re; print(re.search(r'<pre id=\"out\">(.*?)</pre>', sys.stdin.read(), re.S)[1])"
fi
echo "load: $(uptime)"
