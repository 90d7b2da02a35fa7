// Issue 9's speed goals, measured on the WebAssembly SIMD core in Node (V8, as in Chromium):
// what every gradient method adds to the full analysis, Guided Grad-CAM for both classes
// against a forward pass, and Score-CAM at the last conv. Interleaved rounds, medians.
//   node bench/methods_bench.mjs [rounds=15] [core=build-wasm/camscope.js]
// The shipped model and tests/golden/alexnet_bn/picture.npy (224x224 RGB). Every round
// starts from a new picture (setPicture runs the forward pass; the first map the backward).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { readNpy } from "../tests/npy.mjs";

const require = createRequire(import.meta.url);
const rounds = Number(process.argv[2] || 15);
const core = process.argv[3] || new URL("../build-wasm/camscope.js", import.meta.url).pathname;
const M = await require(core)();
const s = new M.Session();
const err = s.loadWeights(readFileSync(new URL("../weights/camscope_catsdogs_int8.csw", import.meta.url)));
if (err) throw new Error(err);
const info = JSON.parse(s.info());
const layer = s.layerIndex("features.14");
const classes = info.classes.length;
const channels = info.layers[layer].shape[0];
const pic = readNpy(new URL("../tests/golden/alexnet_bn/picture.npy", import.meta.url).pathname);
const [h, w] = pic.shape;
// Two pictures alternate (the original and its mirror) so that no result is reused.
const pictures = [false, true].map((mirror) => {
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const src = 3 * (y * w + (mirror ? w - 1 - x : x));
      rgba.set(pic.data.subarray(src, src + 3), 4 * (y * w + x));
      rgba[4 * (y * w + x) + 3] = 255;
    }
  return rgba;
});
const DEFAULT = ["gradcam", "layercam"];
const GRADIENT = ["gradcam", "layercam", "gradcampp", "xgradcam", "hirescam", "gradcam_ew", "eigengradcam", "gradcam_neg", "layercam_neg", "eigencam"];
let turn = 0;
const fresh = () => {
  const e = s.setPicture(pictures[turn++ % 2], w, h);
  if (e) throw new Error(e);
};
const time = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
const maps = (methods) => {
  for (const m of methods) for (let c = 0; c < classes; c++) if (!s.cam(m, layer, c)) throw new Error(`no ${m} map`);
};
const cases = {
  forward: () => time(fresh),
  "forward + backward + Grad-CAM, Layer-CAM (both classes)": () => time(() => (fresh(), maps(DEFAULT))),
  "forward + backward + every gradient method (both classes)": () => time(() => (fresh(), maps(GRADIENT))),
  "Guided Grad-CAM, both classes (after the forward)": () => {
    fresh();
    return time(() => {
      for (let c = 0; c < classes; c++) if (!s.picture("guidedgradcam", c, layer)) throw new Error("no guided map");
    });
  },
  [`Score-CAM at features.14 (${channels} channels, after the forward)`]: () => {
    fresh();
    return time(() => {
      while (s.scoreCamRun(layer, 32) < channels);
      maps(["scorecam"]);
    });
  },
};
for (const fn of Object.values(cases)) fn(); // warm-up round
const got = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(cases)) got[k].push(fn());
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const med = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, median(v)]));
console.log(`methods_bench: shipped model, ${rounds} interleaved rounds, Node ${process.version}; ms, median (min-max)`);
for (const [k, v] of Object.entries(got)) console.log(`  ${k}: ${med[k].toFixed(1)} (${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)})`);
const keys = Object.keys(cases);
const extra = med[keys[2]] / med[keys[1]] - 1;
console.log(`every gradient method adds ${(100 * extra).toFixed(1)} % to the full analysis (goal <= 10 %)`);
console.log(`Guided Grad-CAM, both classes: ${(med[keys[3]] / med.forward).toFixed(2)}x a forward pass (goal <= 1.5x)`);
console.log(`Score-CAM: ${(med[keys[4]] / 1000).toFixed(2)} s (goal <= 3 s in Chromium)`);
