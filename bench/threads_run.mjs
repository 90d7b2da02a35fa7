// The multi-threaded module (CAMSCOPE_THREADS=ON: build-wasm-mt/camscope_mt.js) in Node with
// 1..T threads against the single-threaded module, on one model and picture:
//   node bench/threads_run.mjs [--reps N] [--threads 1,2] [--csw FILE] [--layer NAME]
//        [--st build-wasm/camscope.js] [--mt build-wasm-mt/camscope_mt.js]
// The picture is tests/golden/shipped/both.picture.npy (224x224 RGB). The logits and the
// four maps of every thread count must equal the single-threaded module's exactly before any
// time counts; then forward and full analysis (as bench/engines.mjs) are timed interleaved.
// Prints a table to stderr and one JSON line.
import { createRequire } from "node:module";
import { join, dirname, resolve } from "node:path";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setupCamscope, stats } from "./engines.mjs";
import { readNpy } from "../tests/npy.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);
const opt = { reps: "15", threads: "1,2", csw: "weights/camscope_catsdogs_int8.csw", layer: "features.14",
  st: "build-wasm/camscope.js", mt: "build-wasm-mt/camscope_mt.js" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, "")] = argv[i + 1];
const reps = Number(opt.reps);
const counts = opt.threads.split(",").map(Number);

const pic = readNpy(join(root, "tests/golden/shipped/both.picture.npy")).data;
const rgba = new Uint8Array(224 * 224 * 4);
for (let i = 0; i < 224 * 224; i++) {
  for (let c = 0; c < 3; c++) rgba[4 * i + c] = pic[3 * i + c];
  rgba[4 * i + 3] = 255;
}
const csw = new Uint8Array(readFileSync(resolve(root, opt.csw)));

// Keeps the module object so that the thread count can be set between calls.
const load = async (path) => {
  const create = require(resolve(root, path));
  let mod = null;
  const engine = await setupCamscope(async () => (mod = await create()), csw, rgba, opt.layer);
  return { engine, mod };
};
const st = await load(opt.st);
const mt = await load(opt.mt);
const setThreads = (n) => {
  const got = mt.mod._camscope_set_threads(n);
  if (got !== n) throw new Error(`asked for ${n} threads, the module allows ${got}`);
};

// Exact cross-check: same logits, same raw maps, for every thread count.
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const refLogits = st.engine.logits();
const refMaps = st.engine.maps();
const checks = {};
for (const n of counts) {
  setThreads(n);
  mt.engine.forward();
  const logits = mt.engine.logits();
  const maps = mt.engine.maps();
  checks[n] = same(logits, refLogits) && maps.length === refMaps.length && maps.every((m, i) => same(m, refMaps[i]));
  if (!checks[n]) throw new Error(`${n} threads: logits or maps differ from the single-threaded module`);
}

// Interleaved timing: single-threaded module, then the threaded one at each count.
const runs = [["st", () => {}, st.engine], ...counts.map((n) => [`mt${n}`, () => setThreads(n), mt.engine])];
const t = {};
const time = (k, fn) => {
  const t0 = performance.now();
  fn();
  (t[k] ??= []).push(performance.now() - t0);
};
for (let r = 0; r < 3 + reps; r++) {
  for (const [name, prep, e] of runs) {
    prep();
    if (r < 3) {
      e.forward();
      e.full();
      continue;
    }
    time(`${name}.forward`, e.forward);
    time(`${name}.full`, e.full);
  }
}
const timings = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)]));
const f = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
console.error(`Node ${process.version}, ${opt.csw}, ms, median (min-max) of ${reps}`);
console.error("| module | threads | forward | full analysis |");
console.error("| --- | ---: | ---: | ---: |");
console.error(`| camscope (single-threaded) | 1 | ${f(timings["st.forward"])} | ${f(timings["st.full"])} |`);
for (const n of counts)
  console.error(`| camscope_mt | ${n} | ${f(timings[`mt${n}.forward`])} | ${f(timings[`mt${n}.full`])} |`);
console.log(JSON.stringify({ host: "node " + process.version, csw: opt.csw, reps, checks, timings }));
process.exit(0);  // the pool's workers would keep Node alive
