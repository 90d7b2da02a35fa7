// node [--experimental-wasm-relaxed-simd] node_run.mjs FILE.wasm ROUNDS
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const { measureKernels } = createRequire(import.meta.url)("./measure.cjs");
const [file, rounds] = process.argv.slice(2);
let mod;
try {
  mod = await WebAssembly.compile(readFileSync(file));
} catch (err) {
  console.log(`${file}: ${err.message}`);
  process.exit(0);
}
const imports = {};
for (const imp of WebAssembly.Module.imports(mod)) {
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] = () => 0;
}
const { exports } = await WebAssembly.instantiate(mod, imports);
const cpuMs = () => process.cpuUsage().user / 1000;
for (const line of measureKernels(exports, cpuMs, Number(rounds))) console.log(`${file} ${line}`);
