// camscope vs ONNX Runtime Web vs TensorFlow.js, in Debian's headless Chromium and in Node,
// plus native camscope and native PyTorch, on the shipped model, torchvision's AlexNet and,
// as graphs (.csw version 2), torchvision's ResNet18 and VGG16 (random weights, 2 classes).
// Run through bench/run.sh (which builds and prepares the models first):
//   node bench/bench.mjs [--reps N] [--models shipped,tv,resnet18,vgg16] [--hosts chromium,node,native,torch]
//        [--threads T]
// --threads T (T > 1): in Chromium every engine runs with T threads (the page served
// cross-origin isolated; camscope's threaded module of build-wasm-mt/, tools/build.sh --threads,
// TF.js's and ONNX Runtime Web's threaded builds); the other hosts stay single-threaded.
// Prints a Markdown table and one JSON line; writes bench/results/<date>.json (<date>-threadsT.json).
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, normalize, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { cpus } from "node:os";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const reps = Number(opt("reps", 15));
const threads = Number(opt("threads", 1));
const models = opt("models", "shipped,tv,resnet18,vgg16").split(",");
const hosts = opt("hosts", "chromium,node,native,torch").split(",");
const log = (m) => console.error(`bench: ${m}`);

const MODELS = {
  shipped: {
    title: "shipped (BN, head 9216-128-2)",
    csw: "weights/camscope_catsdogs_int8.csw",
    onnx: "build/bench/shipped.onnx",
    raw: "build/bench/shipped_raw",
    layer: "features.14",
  },
  tv: {
    title: "torchvision AlexNet (head 9216-4096-4096-2)",
    csw: "build/bench/tv_alexnet_int8.csw",
    onnx: "build/bench/tv.onnx",
    raw: "build/bench/tv_raw",
    layer: "features.10",
    arch: "alexnet",  // tools/export.py writes a graph (version 2): torch_bench builds the module
  },
  // The CAM layer of each graph: ResNet18's last block (alias of layer4.1's second ReLU, as
  // pytorch-grad-cam's target_layers=[model.layer4]); VGG16's last conv's ReLU (14x14).
  resnet18: {
    title: "torchvision ResNet18 (2 classes)",
    csw: "build/bench/resnet18_int8.csw",
    onnx: "build/bench/resnet18.onnx",
    raw: "build/bench/resnet18_raw",
    layer: "layer4",
    arch: "resnet18",
  },
  vgg16: {
    title: "torchvision VGG16 (head 25088-4096-4096-2)",
    csw: "build/bench/vgg16_int8.csw",
    onnx: "build/bench/vgg16.onnx",
    raw: "build/bench/vgg16_raw",
    layer: "features.29",
    arch: "vgg16",
  },
};

function relErr(a, b) {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return a.length === b.length ? (m > 0 ? d / m : d) : Infinity;
}

function runJson(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")}: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

// Static files for the page, from the repository root, on 127.0.0.1 only.
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const ALLOWED = ["/bench/", "/build-wasm/", "/build-wasm-mt/", "/build/bench/", "/weights/"];
// Cross-origin isolation (SharedArrayBuffer, so wasm threads) only when threads are asked for.
const ISOLATED = threads > 1 ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } : {};
function serve() {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = join(root, path);
    if (!ALLOWED.some((p) => path.startsWith(p)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", ...ISOLATED });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

async function chromium(model) {
  const { chromium: launcher } = require("playwright-core");
  const server = await serve();
  const browser = await launcher.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    page.on("console", (m) => log(`page: ${m.text()}`));
    const q = new URLSearchParams({ csw: "/" + model.csw, onnx: "/" + model.onnx, raw: "/" + model.raw, layer: model.layer, reps, threads });
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/page.html?${q}`);
    await page.waitForFunction(() => window.__result, null, { timeout: 600_000, polling: 500 });
    const res = await page.evaluate(() => window.__result);
    if (res.error) throw new Error(res.error);
    if (threads > 1 && !res.crossOriginIsolated) throw new Error("the page is not cross-origin isolated: no threads");
    res.host = `chromium ${browser.version()}`;
    return res;
  } finally {
    await browser.close();
    server.close();
  }
}

function gz(path) {
  const p = join(root, path);
  if (!existsSync(p)) return null;
  const b = readFileSync(p);
  return { bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
}

// ---------------------------------------------------------------------------------------

const date = new Date().toISOString().slice(0, 10);
const lscpu = spawnSync("lscpu", { encoding: "utf8" }).stdout ?? "";
const machine = {
  cpu: (lscpu.match(/Model name:\s*(.*)/) ?? [, cpus()[0]?.model])[1].trim(),
  cores: cpus().length,
  node: process.version,
};
const out = { date, machine, reps, threads, models: {} };

for (const key of models) {
  const m = MODELS[key];
  if (!m) throw new Error(`unknown model ${key} (${Object.keys(MODELS).join(", ")})`);
  const r = (out.models[key] = { title: m.title, layer: m.layer, engines: {} });
  if (hosts.includes("native")) {
    log(`${key}: native camscope`);
    r.native = runJson(join(root, "build-bench/native_bench"), [m.csw, "build/bench/picture.rgba", m.layer, String(reps)]);
  }
  if (hosts.includes("torch")) {
    log(`${key}: PyTorch`);
    r.torch = runJson("/usr/bin/python3", ["bench/torch_bench.py", m.csw, "build/bench/picture.rgba", m.layer, String(reps), "1", ...(m.arch ? [m.arch] : [])]);
    if (r.native) {
      r.torch.check = {
        logits: relErr(r.torch.logits, r.native.logits),
        maps: Math.max(...r.torch.maps.map((mp, i) => relErr(mp, r.native.maps[i]))),
      };
      r.torch.check.ok = r.torch.check.logits < 1e-4 && r.torch.check.maps < 1e-3;  // as TF.js's
    }
  }
  if (hosts.includes("node")) {
    log(`${key}: Node`);
    r.node = runJson("node", ["bench/node_run.mjs", m.csw, m.onnx, m.raw, m.layer, String(reps)]);
  }
  if (hosts.includes("chromium")) {
    log(`${key}: Chromium`);
    r.chromium = await chromium(m);
  }
  // camscope wasm vs native: same kernels, same rounding.
  for (const h of ["node", "chromium"]) if (r[h] && r.native) r[h].checks.nativeLogits = relErr(r[h].logits, r.native.logits);
  for (const h of ["node", "chromium", "native", "torch"]) if (r[h]) { delete r[h].maps; }
}
out.payload = {
  "build-wasm/camscope.js (wasm inlined)": gz("build-wasm/camscope.js"),
  "weights/camscope_catsdogs_int8.csw": gz("weights/camscope_catsdogs_int8.csw"),
  "web/camscope_core_simd.js": gz("web/camscope_core_simd.js"),
  "web/weights.js": gz("web/weights.js"),
  "web/ (whole page)": (() => {
    const files = ["index.html", "style.css", "camscope_boot.js", "camscope_page.js", "camscope_core_simd.js", "camscope_core_nosimd.js", "weights.js", "samples.js"];
    let bytes = 0, gzip = 0;
    for (const f of files) {
      const s = gz(join("web", f));
      if (s) (bytes += s.bytes), (gzip += s.gzip);
    }
    return { bytes, gzip };
  })(),
};
const p = out.payload;
out.payload.wasmPlusWeightsGzip = (p["build-wasm/camscope.js (wasm inlined)"]?.gzip ?? 0) + (p["weights/camscope_catsdogs_int8.csw"]?.gzip ?? 0);

// ---------------------------------------------------------------------------------------
// Markdown

const fmt = (s) => (s ? `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})` : "–");
const lines = [];
const threading = threads > 1 ? `${threads} threads in Chromium (every engine), 1 elsewhere` : "1 thread";
lines.push(`camscope bench, ${date}, ${machine.cpu}, ${machine.cores} cores; ms, median (min–max) of ${reps}, ${threading}, after 3 warm-up rounds, interleaved`);
lines.push("");
lines.push("| model | host | engine | forward | full analysis | raw maps | class switch | full / forward |");
lines.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const key of models) {
  const r = out.models[key];
  const row = (host, engine, f, a, s, raw) =>
    lines.push(`| ${key} | ${host} | ${engine} | ${fmt(f)} | ${fmt(a)} | ${fmt(raw)} | ${fmt(s)} | ${f && a ? (a.median / f.median).toFixed(2) + "x" : "–"} |`);
  for (const h of ["chromium", "node"]) {
    const x = r[h];
    if (!x) continue;
    const t = x.timings;
    row(h, `camscope (wasm SIMD${x.threads > 1 ? `, ${x.threads} threads` : ""})`, t["camscope.forward"], t["camscope.full"], t["camscope.switch"], t["camscope.raw"]);
    if (t["onnxruntime-web.forward"]) row(h, `ONNX Runtime Web ${x.ortVersion}`, t["onnxruntime-web.forward"]);
    else lines.push(`| ${key} | ${h} | ONNX Runtime Web | failed check: ${JSON.stringify(x.checks.ort)} | | | |`);
    // TF.js's full analysis is the raw maps (no rendering): the same numbers in both columns.
    if (t["tfjs.forward"]) row(h, `TF.js ${x.tfjsVersion} (wasm${x.tfjsThreads > 1 ? `, ${x.tfjsThreads} threads` : ""})`, t["tfjs.forward"], t["tfjs.full"], undefined, t["tfjs.full"]);
    else lines.push(`| ${key} | ${h} | TF.js | failed check: ${JSON.stringify(x.checks.tfjs)} | | | |`);
  }
  // The kernel class and ISA that ran (native_bench reports them; older results did not).
  const kernels = r.native && r.native.kernels ? r.native.kernels.replace(/:.*$/, ")") : "SSE2";
  if (r.native) row("native", `camscope (g++ -O3, ${kernels})`, r.native.forward, r.native.full, r.native.switch);
  if (r.torch?.check && !r.torch.check.ok) lines.push(`| ${key} | native | PyTorch | failed check: ${JSON.stringify(r.torch.check)} | | | |`);
  else if (r.torch) row("native", `PyTorch ${r.torch.engine.replace("pytorch-", "")}`, r.torch.forward, r.torch.full);
}
lines.push("");
// Issue 8's goals, per browser host: camscope's forward at most ONNX Runtime Web's, its full
// analysis at most 1.3x its forward.
for (const key of models) {
  for (const h of ["chromium", "node"]) {
    const t = out.models[key][h]?.timings;
    if (!t?.["camscope.forward"]) continue;
    const f = t["camscope.forward"].median;
    const o = t["onnxruntime-web.forward"]?.median;
    const ratio = t["camscope.full"].median / f;
    const vsOrt = o ? `forward ${(f / o).toFixed(2)}x ONNX Runtime Web's (<= 1: ${f <= o ? "met" : "missed"})` : "forward: no checked ONNX Runtime Web time";
    const tf = t["tfjs.full"]?.median;
    const vsTf = tf
      ? `; TF.js's full analysis / camscope's: ${(tf / t["camscope.full"].median).toFixed(2)}x with camscope rendering, ${(tf / t["camscope.raw"].median).toFixed(2)}x raw maps both (>= 2: ${tf / t["camscope.raw"].median >= 2 ? "met" : "missed"})`
      : "";
    lines.push(`Goals, ${key} on ${h}: ${vsOrt}; full analysis ${ratio.toFixed(2)}x forward (<= 1.3: ${ratio <= 1.3 ? "met" : "missed"})${vsTf}`);
  }
}
const ch = out.models.shipped?.chromium;
if (ch) lines.push(`First map after load (Chromium, shipped model: instantiate + load weights + forward + backward + one overlay): ${ch.firstMapMs.toFixed(0)} ms`);
lines.push(`Page payload, gzip: camscope.js (wasm inlined) + int8 weights = ${(out.payload.wasmPlusWeightsGzip / 1e6).toFixed(2)} MB; whole web/ page ${(out.payload["web/ (whole page)"].gzip / 1e6).toFixed(2)} MB`);
const md = lines.join("\n");

mkdirSync(join(here, "results"), { recursive: true });
out.markdown = md;
writeFileSync(join(here, "results", `${date}${threads > 1 ? `-threads${threads}` : ""}.json`), JSON.stringify(out, null, 1) + "\n");
console.log(md);
console.log("");
console.log(JSON.stringify(out));
