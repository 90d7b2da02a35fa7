#!/usr/bin/env node
// Turns the page's ES modules (web/src/) into classic scripts that also run from file://,
// where Chromium refuses <script type="module"> files and new Worker(url). No npm deps.
//
//   node tools/bundle_web.mjs [--wasm build-wasm] [--web web]
//
// Writes into web/:
//   camscope_page.js          src/main.js and its imports, in one IIFE; it also holds the
//                             worker's code (src/worker.js bundled the same way) as a string
//   camscope_core_simd.js     build-wasm/camscope.js as a string (self.camscopeCoreSource)
//   camscope_core_nosimd.js   build-wasm/camscope_nosimd.js, the same
//   samples.js                web/samples/{both.png,cat.jpg,dog.jpg} as base64 (a canvas
//                             fed from a file:// <img> is tainted, so pixels must come inline)
//
// The modules must keep to a small subset of ES module syntax, checked here:
//   import { a, b as c } from "./x.js";      import * as ns from "./x.js";
//   export function f / export async function f / export class C / export const K
//   export { a, b as c };
// (no default exports, no `export let` (no live bindings), no cycles, no bare specifiers).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
}
const webDir = option("--web", join(root, "web"));
const wasmDir = option("--wasm", join(root, "build-wasm"));
const srcDir = join(webDir, "src");

class BundleError extends Error {}

const IMPORT_NAMED = /^import\s*\{([^}]*)\}\s*from\s*["']([^"']+)["'];?[ \t]*$/gm;
const IMPORT_NS = /^import\s+\*\s+as\s+([A-Za-z_$][\w$]*)\s+from\s*["']([^"']+)["'];?[ \t]*$/gm;
const EXPORT_DECL = /^export\s+(async\s+function\*?|function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;
const EXPORT_LIST = /^export\s*\{([^}]*)\};?[ \t]*$/gm;

// "a, b as c" -> [[a, a], [b, c]] (local name, exported/imported name order as written).
function specifiers(list, file) {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = s.match(/^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/);
      if (!m) throw new BundleError(`${file}: cannot read the specifier "${s}"`);
      return [m[1], m[2] || m[1]];
    });
}

function lineOf(text, index) {
  return text.slice(0, index).split("\n").length;
}

// Reads one module: its imports (resolved paths), exports and the body without them.
function parseModule(path) {
  const rel = relative(root, path);
  if (!existsSync(path)) throw new BundleError(`${rel}: no such module`);
  let body = readFileSync(path, "utf8");
  const imports = [];
  const resolveSpec = (spec, at) => {
    if (!spec.startsWith("./") && !spec.startsWith("../"))
      throw new BundleError(`${rel}:${lineOf(body, at)}: only relative imports are bundled ("${spec}")`);
    return resolve(dirname(path), spec);
  };
  body = body.replace(IMPORT_NAMED, (all, list, spec, at) => {
    const names = specifiers(list, rel);
    imports.push({ path: resolveSpec(spec, at), names });
    return "";
  });
  body = body.replace(IMPORT_NS, (all, ns, spec, at) => {
    imports.push({ path: resolveSpec(spec, at), ns });
    return "";
  });
  const exports = [];
  body = body.replace(EXPORT_DECL, (all, kind, name, at) => {
    if (kind === "let" || kind === "var")
      throw new BundleError(`${rel}:${lineOf(body, at)}: "export ${kind}" is not supported (use const or a function)`);
    exports.push([name, name]);
    return all.replace(/^export\s+/, "");
  });
  body = body.replace(EXPORT_LIST, (all, list) => {
    exports.push(...specifiers(list, rel));
    return "";
  });
  const leftover = body.match(/^[ \t]*(import\s*[{*"'A-Za-z_$]|export\b)/m);
  if (leftover)
    throw new BundleError(`${rel}:${lineOf(body, leftover.index)}: unsupported import/export form: ${leftover[0].trim()}…`);
  if (/\bimport\.meta\b/.test(body)) throw new BundleError(`${rel}: import.meta cannot be bundled`);
  return { path, rel, body, imports, exports };
}

// The entry and everything it imports, dependencies first; refuses cycles.
function collect(entry) {
  const order = [];
  const state = new Map(); // path -> "visiting" | "done"
  const modules = new Map();
  const visit = (path, chain) => {
    if (state.get(path) === "done") return;
    if (state.get(path) === "visiting")
      throw new BundleError(`import cycle: ${[...chain, path].map((p) => relative(root, p)).join(" -> ")}`);
    state.set(path, "visiting");
    const mod = parseModule(path);
    modules.set(path, mod);
    for (const imp of mod.imports) visit(imp.path, [...chain, path]);
    state.set(path, "done");
    order.push(mod);
  };
  visit(resolve(entry), []);
  return { order, modules };
}

// One IIFE: each module becomes a function scope that returns its frozen exports.
function bundle(entry, prelude = "") {
  const { order, modules } = collect(entry);
  const ids = new Map(order.map((m, i) => [m.path, `__module${i}`]));
  let out = '(function () {\n"use strict";\n' + prelude;
  for (const mod of order) {
    const lines = [`// ---- ${mod.rel}`, `const ${ids.get(mod.path)} = (function () {`];
    for (const imp of mod.imports) {
      const dep = modules.get(imp.path);
      if (imp.ns) {
        lines.push(`const ${imp.ns} = ${ids.get(imp.path)};`);
        continue;
      }
      for (const [name] of imp.names) {
        if (!dep.exports.some(([, exported]) => exported === name))
          throw new BundleError(`${mod.rel}: ${dep.rel} does not export "${name}"`);
      }
      const parts = imp.names.map(([name, local]) => (name === local ? name : `${name}: ${local}`));
      lines.push(`const { ${parts.join(", ")} } = ${ids.get(imp.path)};`);
    }
    lines.push(mod.body.trim());
    const returned = mod.exports.map(([local, exported]) => (local === exported ? local : `${exported}: ${local}`));
    lines.push(`return Object.freeze({ ${returned.join(", ")} });`, "})();", "");
    out += lines.join("\n") + "\n";
  }
  out += "})();\n";
  return out;
}

function check(code, name) {
  try {
    new vm.Script(code, { filename: name });
  } catch (e) {
    throw new BundleError(`${name}: the bundle does not parse: ${e.message}`);
  }
}

function write(name, text) {
  writeFileSync(join(webDir, name), text);
  console.log(`bundle_web: ${relative(root, join(webDir, name))} (${(text.length / 1024).toFixed(0)} KiB)`);
}

const header = (what) => `// Generated by tools/bundle_web.mjs from ${what}; do not edit.\n`;

try {
  const worker = bundle(join(srcDir, "worker.js")) + "//# sourceURL=camscope_worker.js\n";
  check(worker, "camscope_worker.js");
  const page = bundle(join(srcDir, "main.js"), `const camscopeWorkerSource = ${JSON.stringify(worker)};\n`);
  check(page, "camscope_page.js");
  write("camscope_page.js", header("web/src/*.js") + page);

  for (const [module, out] of [
    ["camscope.js", "camscope_core_simd.js"],
    ["camscope_nosimd.js", "camscope_core_nosimd.js"],
  ]) {
    const path = join(wasmDir, module);
    if (!existsSync(path)) throw new BundleError(`${relative(root, path)} is missing: build the wasm modules first`);
    write(out, header(relative(root, path)) + `self.camscopeCoreSource = ${JSON.stringify(readFileSync(path, "utf8"))};\n`);
  }

  const samples = [
    ["both.png", "image/png", "A cat and a dog"],
    ["cat.jpg", "image/jpeg", "A cat"],
    ["dog.jpg", "image/jpeg", "A dog"],
  ].map(([file, type, title]) => {
    const path = join(webDir, "samples", file);
    if (!existsSync(path)) throw new BundleError(`${relative(root, path)} is missing`);
    return { file, type, title, base64: readFileSync(path).toString("base64") };
  });
  write("samples.js", header("web/samples/") + `self.camscopeSamples = ${JSON.stringify(samples)};\n`);
} catch (e) {
  if (e instanceof BundleError) {
    console.error(`bundle_web: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
