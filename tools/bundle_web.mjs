#!/usr/bin/env node
// Turns the page's ES modules (web/src/) into classic scripts that also run from file://,
// where Chromium refuses <script type="module"> files and new Worker(url). No npm deps.
//
//   node tools/bundle_web.mjs [--wasm build-wasm] [--wasm-mt build-wasm-mt] [--web web]
//
// Writes into web/:
//   camscope_page.js          src/main.js and its imports, in one IIFE; it also holds the
//                             worker's code (src/worker.js bundled the same way) as a string
//   camscope_core_simd.js     build-wasm/camscope.js as a string (self.camscopeCoreSource)
//                             without its inlined wasm, which comes gzip-compressed (by
//                             zopfli) as base64 (self.camscopeCoreWasm = {encoding, base64}):
//                             the worker decompresses and compiles it (gzip -9 of the script:
//                             160 KB instead of 212 KB for Emscripten's plain base64 data: URL)
//   camscope_core_nosimd.js   build-wasm/camscope_nosimd.js, the same
//   camscope_core_mt.js       build-wasm-mt/camscope_mt.js, the same, and its threads' script
//                             (camscope_mt.worker.js, self.camscopeCoreThreadSource), with
//                             --wasm-mt (a cmake -DCAMSCOPE_THREADS=ON build): the page
//                             loads it only when cross-origin isolated (tools/serve.py)
//   style.css                 src/style.css without comments and needless white space
//   samples.js                web/samples/{both.png,cat.jpg,dog.jpg} as base64 (a canvas
//                             fed from a file:// <img> is tainted, so pixels must come inline);
//                             both.png's pixels as lossless WebP (tools/lossless_webp.py checks
//                             they decode the same): 68,294 bytes instead of 90,226; the
//                             JPEGs with fitted Huffman tables (jpegtran -optimize, lossless)
//
// The modules must keep to a small subset of ES module syntax, checked here:
//   import { a, b as c } from "./x.js";      import * as ns from "./x.js";
//   export function f / export async function f / export class C / export const K
//   export { a, b as c };
// (no default exports, no `export let` (no live bindings), no cycles, no bare specifiers).
import { readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import vm from "node:vm";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// A PNG's pixels as lossless WebP (tools/lossless_webp.py, Debian's Python and Pillow), or
// null, saying why, where that cannot be made: the PNG itself is then embedded.
function losslessWebp(path) {
  const r = spawnSync("/usr/bin/python3", [join(root, "tools", "lossless_webp.py"), path], { maxBuffer: 1 << 26 });
  if (r.status === 0 && r.stdout.length > 0) return r.stdout;
  const why = r.error ? r.error.message : String(r.stderr).trim();
  console.error(`bundle_web: ${relative(root, path)} embedded as PNG (${why})`);
  return null;
}

// gzip bytes of `bytes` by tools/smallest_gzip.sh (zopfli where installed, ~5% smaller than
// zlib's level 9: the SIMD core's wasm 138,795 -> 131,420 bytes; gzip -9 otherwise), checked
// here to decompress to `bytes`.
function smallestGzip(bytes, name) {
  const r = spawnSync(join(root, "tools/smallest_gzip.sh"), ["15"], { input: bytes, maxBuffer: 1 << 28 });
  if (r.status !== 0 || !gunzipSync(r.stdout).equals(bytes))
    throw new BundleError(`${name}: tools/smallest_gzip.sh failed: ${r.error ? r.error.message : String(r.stderr).trim()}`);
  if (String(r.stderr).trim()) console.error(`bundle_web: ${name}: ${String(r.stderr).trim()}`);
  return r.stdout;
}

// A JPEG with the same coefficients, hence the same pixels, and Huffman tables fitted to it
// (Debian's jpegtran -optimize, libjpeg-turbo-progs; metadata such as EXIF orientation kept):
// cat.jpg 20,878 -> 20,125 bytes, dog.jpg 19,404 -> 18,360. The file itself where jpegtran is
// missing.
function optimizedJpeg(path) {
  const original = readFileSync(path);
  let best = original;
  // Baseline or progressive, whichever is smaller (the same coefficients either way).
  for (const mode of [[], ["-progressive"]]) {
    const r = spawnSync("jpegtran", ["-optimize", ...mode, "-copy", "all", path], { maxBuffer: 1 << 26 });
    if (r.status !== 0 || !r.stdout.length) {
      console.error(`bundle_web: ${relative(root, path)} embedded as it is (jpegtran: ${r.error ? r.error.message : String(r.stderr).trim()})`);
      return original;
    }
    if (r.stdout.length < best.length) best = r.stdout;
  }
  return best;
}

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
}
const webDir = option("--web", join(root, "web"));
const wasmDir = option("--wasm", join(root, "build-wasm"));
const wasmMtDir = option("--wasm-mt", ""); // the threaded build, only when given
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

// What the browser need not download: comments, indentation, long local names. With
// Debian's node-terser (tools/setup.sh installs it; NODE_PATH=/usr/share/nodejs) the code is
// minified (no property or global renamed: the tests' hooks and the worker's names stay);
// without it, acorn's tokens (node-acorn, which emscripten needs) drop comments and
// indentation only, never touching a string, template or regular expression; without either
// the code stays as it is.
const requireShared = createRequire(import.meta.url);
function optional(name) {
  try {
    return requireShared(name);
  } catch (e) {
    return null;
  }
}
const terser = optional("terser");
const acorn = optional("acorn");
if (!terser) console.warn("bundle_web: terser not found (apt-get install node-terser): the page's scripts are not minified");

async function compact(code, name) {
  if (terser) {
    const out = await terser.minify(code, { ecma: 2020, compress: true, mangle: true, format: { comments: false } });
    return out.code + "\n";
  }
  if (!acorn) return code;
  const cuts = []; // [start, end, replacement]: the comments
  acorn.parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
    // A block comment may separate two tokens or end a line (ASI): a space or a newline stays.
    onComment: (block, text, start, end) => cuts.push([start, end, block ? (text.includes("\n") ? "\n" : " ") : ""]),
  });
  let out = "";
  let at = 0;
  for (const [start, end, instead] of cuts) {
    out += code.slice(at, start) + instead;
    at = end;
  }
  out += code.slice(at);
  // Indentation and blank lines, outside template literals.
  const kept = [];
  acorn.parse(out, { ecmaVersion: "latest", sourceType: "script", onToken: (t) => t.type === acorn.tokTypes.template && kept.push([t.start, t.end]) });
  let result = "";
  let k = 0;
  let lineStart = true;
  for (let i = 0; i < out.length; i++) {
    while (k < kept.length && kept[k][1] <= i) k++;
    const inTemplate = k < kept.length && kept[k][0] <= i;
    const ch = out[i];
    if (lineStart && !inTemplate && (ch === " " || ch === "\t" || ch === "\n")) continue;
    lineStart = ch === "\n" && !inTemplate;
    result += ch;
  }
  return result;
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

// Emscripten's single-file module split in two: its JS with an empty data: URL where the
// wasm was (it then never decodes one: the worker passes the compiled module through
// Module.instantiateWasm) and the wasm itself, gzip-compressed, as base64.
const DATA_URL = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/;
async function coreScript(js, name) {
  const m = js.match(DATA_URL);
  if (!m) throw new BundleError(`${name}: no inlined wasm (build with -sSINGLE_FILE=1)`);
  if (js.slice(m.index + m[0].length).match(DATA_URL)) throw new BundleError(`${name}: more than one inlined wasm`);
  const wasm = Buffer.from(m[1], "base64");
  if (wasm.readUInt32BE(0) !== 0x0061736d) throw new BundleError(`${name}: the inlined data is not a wasm module`);
  const glue = await compact(js.slice(0, m.index) + "data:application/octet-stream;base64," + js.slice(m.index + m[0].length), name);
  const packed = smallestGzip(wasm, name).toString("base64");
  return `self.camscopeCoreSource = ${JSON.stringify(glue)};\n` +
    `self.camscopeCoreWasm = {"encoding": "gzip", "base64": "${packed}"};\n`;
}

// The page's style sheet without its comments and needless white space (what the browser
// loads; the commented source is web/src/style.css): gzip 8,539 -> ~6,800 bytes. Strings are
// copied as they are; a comment counts as white space; a run of white space becomes one space,
// and none is kept next to { } ; , or after a colon (a selector never has ": ", and a space
// before a colon, as in `.a :hover`, is kept).
function minifyCss(css, name) {
  const pieces = []; // [text outside strings, string, text, string, ...]
  let text = "";
  for (let i = 0; i < css.length; ) {
    const c = css[i];
    if (c === "/" && css[i + 1] === "*") {
      const end = css.indexOf("*/", i + 2);
      if (end < 0) throw new BundleError(`${name}: a comment is not closed`);
      text += " ";
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < css.length && css[j] !== c && css[j] !== "\n") j += css[j] === "\\" ? 2 : 1;
      if (j >= css.length || css[j] !== c) throw new BundleError(`${name}: a string is not closed on its line`);
      pieces.push(text, css.slice(i, j + 1));
      text = "";
      i = j + 1;
    } else {
      text += c;
      i++;
    }
  }
  pieces.push(text);
  const squeeze = (t) => t.replace(/\s+/g, " ").replace(/ ?([{};,]) ?/g, "$1").replace(/: /g, ":");
  return pieces.map((p, k) => (k % 2 ? p : squeeze(p))).join("").trim() + "\n";
}

const header = (what) => `// Generated by tools/bundle_web.mjs from ${what}; do not edit.\n`;

try {
  const worker = (await compact(bundle(join(srcDir, "worker.js")), "camscope_worker.js")) + "//# sourceURL=camscope_worker.js\n";
  check(worker, "camscope_worker.js");
  const page = await compact(bundle(join(srcDir, "main.js"), `const camscopeWorkerSource = ${JSON.stringify(worker)};\n`), "camscope_page.js");
  check(page, "camscope_page.js");
  write("camscope_page.js", header("web/src/*.js") + page);
  const boot = await compact(readFileSync(join(srcDir, "boot.js"), "utf8"), "camscope_boot.js");
  check(boot, "camscope_boot.js");
  write("camscope_boot.js", header("web/src/boot.js") + boot);

  for (const [module, out] of [
    ["camscope.js", "camscope_core_simd.js"],
    ["camscope_nosimd.js", "camscope_core_nosimd.js"],
  ]) {
    const path = join(wasmDir, module);
    if (!existsSync(path)) throw new BundleError(`${relative(root, path)} is missing: build the wasm modules first`);
    write(out, header(relative(root, path)) + (await coreScript(readFileSync(path, "utf8"), relative(root, path))));
  }

  // The threaded core, when built; a stale copy from an older build goes.
  const mt = join(wasmMtDir, "camscope_mt.js");
  const mtThread = join(wasmMtDir, "camscope_mt.worker.js");
  if (wasmMtDir && existsSync(mt) && existsSync(mtThread)) {
    const thread = await compact(readFileSync(mtThread, "utf8"), "camscope_mt.worker.js");
    write("camscope_core_mt.js", header(relative(root, mt)) + (await coreScript(readFileSync(mt, "utf8"), relative(root, mt))) +
      `self.camscopeCoreThreadSource = ${JSON.stringify(thread)};\n`);
  } else rmSync(join(webDir, "camscope_core_mt.js"), { force: true });

  const cssSource = join(srcDir, "style.css");
  if (!existsSync(cssSource)) throw new BundleError(`${relative(root, cssSource)} is missing`);
  write("style.css", `/* Generated by tools/bundle_web.mjs from web/src/style.css; do not edit. */\n` + minifyCss(readFileSync(cssSource, "utf8"), "web/src/style.css"));

  const samples = [
    ["both.png", "image/png", "A cat and a dog"],
    ["cat.jpg", "image/jpeg", "A cat"],
    ["dog.jpg", "image/jpeg", "A dog"],
  ].map(([file, type, title]) => {
    const path = join(webDir, "samples", file);
    if (!existsSync(path)) throw new BundleError(`${relative(root, path)} is missing`);
    const webp = type === "image/png" ? losslessWebp(path) : null;
    if (webp) return { file, type: "image/webp", title, base64: webp.toString("base64") };
    const bytes = type === "image/jpeg" ? optimizedJpeg(path) : readFileSync(path);
    return { file, type, title, base64: bytes.toString("base64") };
  });
  write("samples.js", header("web/samples/") + `self.camscopeSamples = ${JSON.stringify(samples)};\n`);
} catch (e) {
  if (e instanceof BundleError) {
    console.error(`bundle_web: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
