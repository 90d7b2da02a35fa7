// Before/after: this tree's camscope against an older build of it, on one model, interleaved,
// after checking that both give the same logits and maps. In Node (both WebAssembly modules
// in one process, alternating which goes first each round) and natively (the two
// native_bench binaries run alternately, REPS timings each, ROUNDS times).
//   git worktree add /tmp/bench_old ea245be && (cd /tmp/bench_old && tools/build.sh)
//   g++ -O3 -std=c++17 -ffp-contract=off -I/tmp/bench_old/wasm /tmp/bench_old/bench/native_bench.cpp \
//       /tmp/bench_old/build/libcamscope_core.a -o build-bench/native_bench_old
//   node bench/compare_cores.mjs /tmp/bench_old [--csw weights/camscope_catsdogs_int8.csw]
//       [--layer features.14] [--reps 15] [--rounds 5]
// Needs build-bench/native_bench (bench/run.sh) and build/bench/picture.rgba. Prints a
// Markdown table and one JSON line.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { relErr, setupCamscope, stats } from "./engines.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const oldTree = resolve(args[0] ?? "");
const csw = opt("csw", "weights/camscope_catsdogs_int8.csw");
const layer = opt("layer", "features.14");
const reps = Number(opt("reps", 15));
const rounds = Number(opt("rounds", 5));
const picture = join(root, "build/bench/picture.rgba");
const log = (m) => console.error(`compare: ${m}`);
const now = () => performance.now();

// Node: both modules, checked equal, then interleaved.
const rgba = new Uint8Array(readFileSync(picture));
const bytes = new Uint8Array(readFileSync(join(root, csw)));
const cores = {
  old: await setupCamscope(require(join(oldTree, "build-wasm/camscope.js")), bytes, rgba, layer),
  new: await setupCamscope(require(join(root, "build-wasm/camscope.js")), bytes, rgba, layer),
};
const nodeCheck = {
  logits: relErr(cores.new.logits(), cores.old.logits()),
  maps: Math.max(...cores.new.maps().map((m, i) => relErr(m, cores.old.maps()[i]))),
};
log(`node: new vs old ${JSON.stringify(nodeCheck)}`);
const t = {};
const time = (key, fn) => {
  const t0 = now();
  fn();
  (t[key] ??= []).push(now() - t0);
};
for (let r = 0; r < 3 + reps; r++) {
  const order = r % 2 ? ["new", "old"] : ["old", "new"];
  for (const k of order) {
    if (r < 3) {
      cores[k].forward();
      cores[k].full();
      continue;
    }
    time(`${k}.forward`, cores[k].forward);
    time(`${k}.full`, cores[k].full);
  }
}
const node = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)]));

// Native: the two binaries alternately; each run's median is one sample.
const bins = { old: join(root, "build-bench/native_bench_old"), new: join(root, "build-bench/native_bench") };
const nat = {};
const natOut = {};
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? ["new", "old"] : ["old", "new"]) {
    const p = spawnSync(bins[k], [join(root, csw), picture, layer, String(reps)], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (p.status !== 0) throw new Error(`${bins[k]}: ${p.stderr || p.error}`);
    const j = JSON.parse(p.stdout.trim().split("\n").pop());
    natOut[k] = j;
    (nat[`${k}.forward`] ??= []).push(j.forward.median);
    (nat[`${k}.full`] ??= []).push(j.full.median);
  }
}
const nativeCheck = {
  logits: relErr(natOut.new.logits, natOut.old.logits),
  maps: Math.max(...natOut.new.maps.map((m, i) => relErr(m, natOut.old.maps[i]))),
};
log(`native: new vs old ${JSON.stringify(nativeCheck)}`);
const native = Object.fromEntries(Object.entries(nat).map(([k, v]) => [k, stats(v)]));

const fmt = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
const lines = [
  `${csw}, CAM layer ${layer}; ms, median (min–max): Node ${reps} interleaved rounds; native ${rounds} alternating runs, each its median of ${reps}`,
  "",
  "| host | core | forward | full analysis | new / old forward | new / old full |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
];
for (const [host, s] of [["node", node], ["native", native]])
  for (const k of ["old", "new"]) {
    const ratio = (w) => (k === "new" ? `${(s[`new.${w}`].median / s[`old.${w}`].median).toFixed(2)}x` : "");
    lines.push(`| ${host} | ${k === "old" ? `old (${oldTree})` : "this tree"} | ${fmt(s[`${k}.forward`])} | ${fmt(s[`${k}.full`])} | ${ratio("forward")} | ${ratio("full")} |`);
  }
lines.push("", `Checks, new vs old: Node logits ${nodeCheck.logits}, maps ${nodeCheck.maps}; native logits ${nativeCheck.logits}, maps ${nativeCheck.maps}`);
console.log(lines.join("\n"));
console.log(JSON.stringify({ csw, layer, reps, rounds, node, native, checks: { node: nodeCheck, native: nativeCheck } }));
