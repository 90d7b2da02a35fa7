// The WASM build in Node against the native build (1e-5) and PyTorch's goldens (1e-4).
// node tests/wasm_node_test.mjs MODULE.js GOLDEN_CASE_DIR NATIVE_DUMP.json
import { createRequire } from "node:module";
import { readFileSync, existsSync } from "node:fs";
import { readNpy, relError } from "./npy.mjs";

const [modulePath, caseDir, dumpPath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAIL ${what}`);
  }
}

const createCamscope = require(modulePath);
const M = await createCamscope();
const s = new M.Session();
const err = s.loadWeights(readFileSync(`${caseDir}/weights.csw`));
check(err === "", `loadWeights: ${err}`);
const info = JSON.parse(s.info());
check(info.layers.length > 10 && info.classes.length >= 2, "info lists layers and classes");

// A corrupt file is refused with the checksum message and the model stays.
const bad = new Uint8Array(readFileSync(`${caseDir}/weights.csw`));
bad[bad.length - 1] ^= 1;
check(s.loadWeights(bad).includes("checksum"), "corrupt weights refused");
check(s.loadWeights(new Uint8Array(10)).includes("too short"), "short file refused");

const pic = readNpy(`${caseDir}/picture.npy`);
const [h, w] = pic.shape;
const rgba = new Uint8Array(w * h * 4);
for (let i = 0; i < w * h; i++) {
  rgba.set(pic.data.subarray(3 * i, 3 * i + 3), 4 * i);
  rgba[4 * i + 3] = 255;
}
check(s.setPicture(rgba, w, h) === "", "setPicture");
check(s.setPicture(rgba, w + 1, h) !== "", "setPicture size mismatch refused");

const native = JSON.parse(readFileSync(dumpPath, "utf8"));
const logitErr = relError(s.logits(), native.logits);
check(logitErr < 1e-5, `logits vs native ${logitErr}`);
const torchLogits = readNpy(`${caseDir}/logits.npy`).data;
check(relError(s.logits(), torchLogits) < 1e-4, "logits vs torch");

// The batched forward pass (the binding the benchmarks and batch users call): three copies of
// the preprocessed input, the middle one negated, give each copy's own logits, and the first
// and last equal PyTorch's.
{
  const x = readNpy(`${caseDir}/input.npy`).data;
  const k = torchLogits.length;
  const batch = new Float32Array(3 * x.length);
  batch.set(x, 0);
  for (let i = 0; i < x.length; i++) batch[x.length + i] = -x[i];
  batch.set(x, 2 * x.length);
  const out = s.forwardBatch(batch, 3);
  check(out !== null && out.length === 3 * k, "forwardBatch gives n x classes logits");
  if (out !== null && out.length === 3 * k) {
    check(relError(out.subarray(0, k), torchLogits) < 1e-4, "forwardBatch first copy vs torch");
    check(relError(out.subarray(2 * k), out.subarray(0, k)) === 0, "forwardBatch: equal inputs, equal logits");
    check(relError(out.subarray(k, 2 * k), out.subarray(0, k)) > 1e-3, "forwardBatch: a different input, different logits");
  }
  check(s.forwardBatch(batch.subarray(1), 3) === null, "forwardBatch refuses a wrong size");
  // The threaded core (camscope_mt.js): with 2 threads each takes whole inputs (2 and 1 of
  // them); every input's logits equal one thread's bit for bit.
  if (typeof M._camscope_set_threads === "function") {
    const runs = [1, 2].map((t) => {
      check(M._camscope_set_threads(t) === t, `${t} threads`);
      return s.forwardBatch(batch, 3);
    });
    check(runs.every((r) => r !== null && r.length === 3 * k), "forwardBatch with 1 and 2 threads");
    if (runs.every((r) => r !== null))
      check(runs[1].every((v, i) => Object.is(v, runs[0][i])), "forwardBatch: 2 threads give 1 thread's logits bit for bit");
    M._camscope_set_threads(0);
  }
}
let worst = 0;
let compared = 0;
for (const m of native.maps) {
  const map = s.cam(m.method, m.layer, m.class);
  const e = relError(map, m.values);
  worst = Math.max(worst, e);
  check(e < 1e-5, `${m.method} layer ${info.layers[m.layer].name} class ${m.class}: ${e}`);
  const torchPath = `${caseDir}/cam__${m.method}__${info.layers[m.layer].name}.npy`;
  if (existsSync(torchPath)) {
    const ref = readNpy(torchPath);
    const n = ref.shape[1] * ref.shape[2];
    const e2 = relError(map, ref.data.subarray(m.class * n, (m.class + 1) * n));
    check(e2 < 1e-4, `${m.method} ${info.layers[m.layer].name} class ${m.class} vs torch: ${e2}`);
    compared++;
  }
}
check(native.maps.length >= 8 && compared >= 4, "enough maps compared");
console.log(`wasm (simd=${M.simd()}) vs native: worst map error ${worst.toExponential(2)} over ${native.maps.length} maps`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
