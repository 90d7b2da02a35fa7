// The page's first step: a tiny classic script in <head>, run before camscope_page.js has
// arrived and parsed (~50 ms later). It chooses the core's build for this browser and starts
// reading that script and the weights' (link rel=preload: read, not run), so that both are in
// when main.js boot() asks for them (first map ~25 ms sooner, median of 21 cold loads).
// main.js takes the choice from here: self.camscopeBoot = {wasm, simd, threads, core}.
(function () {
  // A module whose one function uses a SIMD instruction: it validates only where WebAssembly
  // SIMD runs.
  const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
  const params = new URLSearchParams(location.search);
  let wasm = true;
  let simd = false;
  try {
    simd = params.get("simd") !== "off" && WebAssembly.validate(new Uint8Array(SIMD_PROBE));
  } catch (e) {
    wasm = false;
  }
  // Threads need shared memory, which only a cross-origin isolated page has (tools/serve.py;
  // never from file://).
  const threads = simd && self.crossOriginIsolated === true && params.get("threads") !== "off" && params.get("worker") !== "off";
  const core = threads ? "camscope_core_mt.js" : simd ? "camscope_core_simd.js" : "camscope_core_nosimd.js";
  self.camscopeBoot = { wasm, simd, threads, core };
  if (!wasm) return;
  // Not the threaded core's: a page served without it falls back to the SIMD one (main.js),
  // and a preload of a missing file is a console error.
  for (const href of threads ? ["weights.js"] : [core, "weights.js"]) {
    const link = document.createElement("link");
    link.rel = "preload";
    link.as = "script";
    link.href = href;
    document.head.append(link);
  }
})();
