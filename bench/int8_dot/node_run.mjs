// node bench/int8_dot/node_run.mjs FILE.wasm ROUNDS: checks both kernels against a plain sum,
// then times them interleaved (this process's CPU time), multiply-adds per second.
import { readFileSync } from "node:fs";

const [file, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 31);
const { instance } = await WebAssembly.instantiate(readFileSync(file), { env: {}, wasi_snapshot_preview1: { proc_exit: () => 0 } });
const e = instance.exports;
const kc = 256;
const a = e.malloc(4 * kc * 4), b = e.malloc(8 * kc * 4), c = e.malloc(32 * 4);
const f32 = () => new Float32Array(e.memory.buffer);
const i16 = () => new Int16Array(e.memory.buffer);
const i32 = () => new Int32Array(e.memory.buffer);
// Values: A[i][k] = (7 i + 3 k) % 255 - 127, B[k][j] = (5 j + 11 k) % 255 - 127 (int8 range).
const A = (i, k) => ((7 * i + 3 * k) % 255) - 127;
const B = (k, j) => ((5 * j + 11 * k) % 255) - 127;
const ref = new Float64Array(32);
for (let k = 0; k < kc; k++) for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) ref[i * 8 + j] += A(i, k) * B(k, j);
const lines = [];
function check(name, read) {
  let err = 0;
  for (let q = 0; q < 32; q++) err = Math.max(err, Math.abs(read(q) - ref[q]));
  lines.push(`${name}: max |c - sum a*b| after one pass ${err}`);
}
function fillF32() {
  const m = f32();
  for (let k = 0; k < kc; k++) {
    for (let i = 0; i < 4; i++) m[a / 4 + k * 4 + i] = A(i, k);
    for (let j = 0; j < 8; j++) m[b / 4 + k * 8 + j] = B(k, j);
  }
}
function fillI16() {
  const m = i16();
  for (let k = 0; k < kc; k += 2) {
    for (let i = 0; i < 4; i++) for (let t = 0; t < 2; t++) m[a / 2 + (k / 2) * 8 + i * 2 + t] = A(i, k + t);
    for (let j = 0; j < 8; j++) for (let t = 0; t < 2; t++) m[b / 2 + (k / 2) * 16 + j * 2 + t] = B(k + t, j);
  }
}
fillF32();
f32().fill(0, c / 4, c / 4 + 32);
e.k_f32(kc, a, b, c, 1);
check("k_f32", (q) => f32()[c / 4 + q]);
fillI16();
i32().fill(0, c / 4, c / 4 + 32);
e.k_dot(kc, a, b, c, 1);
check("k_dot", (q) => i32()[c / 4 + q]);
const reps = 20000, macs = 32 * kc * reps, warm = 10;
const cpu = () => process.cpuUsage().user / 1000;
const t = { k_f32: [], k_dot: [] };
for (let r = 0; r < rounds + warm; r++) {
  fillF32();
  let t0 = cpu();
  e.k_f32(kc, a, b, c, reps);
  if (r >= warm) t.k_f32.push(cpu() - t0);
  fillI16();
  t0 = cpu();
  e.k_dot(kc, a, b, c, reps);
  if (r >= warm) t.k_dot.push(cpu() - t0);
}
for (const name of ["k_f32", "k_dot"]) {
  const s = t[name].sort((x, y) => x - y), med = s[s.length >> 1];
  lines.push(`${name}: median ${med.toFixed(2)} ms = ${(macs / med / 1e6).toFixed(1)} G multiply-adds/s, min ${s[0].toFixed(2)} ms (n=${s.length})`);
}
console.log(lines.join("\n"));
