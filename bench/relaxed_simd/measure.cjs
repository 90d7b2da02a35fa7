// The micro-kernel benchmark shared by Node (node_run.mjs) and Chromium (page built by
// run.sh): checks that each kernel computes sum_k a*b, then times both, interleaved, `rounds`
// times; `now()` is the clock (Node: this process's CPU time; Chromium: performance.now()).
function measureKernels(exports, now, rounds) {
  const e = exports;
  const mem = new Float32Array(e.memory.buffer);
  const kc = 256;
  const a = e.malloc(4 * kc * 4), b = e.malloc(8 * kc * 4), c = e.malloc(32 * 4);
  for (let i = 0; i < 4 * kc; i++) mem[a / 4 + i] = ((i * 37) % 17) / 17 - 0.5;
  for (let i = 0; i < 8 * kc; i++) mem[b / 4 + i] = ((i * 11) % 13) / 13 - 0.5;
  const ref = new Float64Array(32);
  for (let p = 0; p < kc; p++)
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 8; j++) ref[i * 8 + j] += mem[a / 4 + p * 4 + i] * mem[b / 4 + p * 8 + j];
  const names = ["k_muladd", "k_madd"];
  const lines = [];
  for (const name of names) {
    mem.fill(0, c / 4, c / 4 + 32);
    e[name](kc, a, b, c, 1);
    let err = 0;
    for (let i = 0; i < 32; i++) err = Math.max(err, Math.abs(mem[c / 4 + i] - ref[i]));
    lines.push(`${name}: max |c - sum a*b| after one pass ${err.toExponential(2)}`);
  }
  const reps = 20000, flop = 2 * 32 * kc * reps, warm = 10;
  const t = { k_muladd: [], k_madd: [] };
  for (let round = 0; round < rounds + warm; round++)
    for (const name of names) {
      mem.fill(0, c / 4, c / 4 + 32);
      const t0 = now();
      e[name](kc, a, b, c, reps);
      if (round >= warm) t[name].push(now() - t0);
    }
  for (const name of names) {
    const s = t[name].sort((x, y) => x - y), med = s[s.length >> 1];
    lines.push(`${name}: median ${med.toFixed(2)} ms = ${(flop / med / 1e6).toFixed(1)} GFLOP/s, ` +
               `min ${s[0].toFixed(2)} ms = ${(flop / s[0] / 1e6).toFixed(1)} GFLOP/s (n=${s.length})`);
  }
  return lines;
}
if (typeof module !== "undefined") module.exports = { measureKernels };
