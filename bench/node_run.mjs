// The engines in Node (same code as the page), run by bench/bench.mjs:
//   node bench/node_run.mjs WEIGHTS.csw MODEL.onnx RAW_PREFIX CAM_LAYER REPS
// Reads RAW_PREFIX.{json,bin} (tools/export_onnx.py --raw) and build/bench/picture.rgba;
// prints one JSON line.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runAll } from "./engines.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);
const [csw, onnx, raw, camLayer, reps] = process.argv.slice(2);

globalThis.ort = require("onnxruntime-web");
globalThis.ort.env.wasm.wasmPaths = join(here, "node_modules/onnxruntime-web/dist/");
globalThis.tf = require("@tensorflow/tfjs");
const tfwasm = require("@tensorflow/tfjs-backend-wasm");
tfwasm.setThreadsCount(1);
tfwasm.setWasmPaths(join(here, "node_modules/@tensorflow/tfjs-backend-wasm/dist/"));
await tf.setBackend("wasm");
await tf.ready();

const bytes = (p) => new Uint8Array(readFileSync(p));
const binBuf = readFileSync(raw + ".bin");
const res = await runAll({
  createCamscope: require(join(root, "build-wasm/camscope.js")),
  csw: bytes(csw),
  onnx: bytes(onnx),
  manifest: JSON.parse(readFileSync(raw + ".json", "utf8")),
  bin: binBuf.buffer.slice(binBuf.byteOffset, binBuf.byteOffset + binBuf.byteLength),
  rgba: bytes(join(root, "build/bench/picture.rgba")),
  camLayer,
  reps: Number(reps),
  warmup: 3,
  log: (m) => console.error(m),
});
console.log(JSON.stringify({ host: "node " + process.version, ...res }));
