// Shared pieces of the browser tests: paths, a tiny static server, Debian's chromium through
// playwright-core (no browser download), and a page opener that records what the page does.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import vm from "node:vm";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(process.env.CAMSCOPE_ROOT || join(here, "..", ".."));
export const WEB = join(ROOT, "web");
export const BUILD = resolve(process.env.CAMSCOPE_BUILD || join(ROOT, "build"));
export const CLI = process.env.CAMSCOPE_CLI || join(BUILD, "camscope");
// The page runs the exact kernel class (WebAssembly has no other); the CLI run by these tests
// does too, so that page and CLI compute the same floats (the native fast class, AVX2+FMA,
// rounds differently and may take a near-tie in a ReLU or max-pool the other way; it has its
// own tolerance tests against the exact class in tests/test_classes.cpp).
process.env.CAMSCOPE_KERNELS = "exact";
export const CHROMIUM = process.env.CAMSCOPE_CHROMIUM || "/usr/bin/chromium";
export const SHIPPED_WEIGHTS = join(ROOT, "weights", "camscope_catsdogs_int8.csw");
export const OTHER_WEIGHTS = join(ROOT, "tests", "golden", "alexnet_bn", "weights.csw");
export const FILE_URL = pathToFileURL(join(WEB, "index.html")).href;

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".md": "text/markdown; charset=utf-8",
};

// Serves web/ on 127.0.0.1 and a free port; records every path asked for. `headers`: sent
// with every file (tools/serve.py's cross-origin isolation: ISOLATION_HEADERS).
export async function startServer(dir = WEB, headers = {}) {
  const requests = [];
  const server = createServer(async (req, res) => {
    requests.push(req.url);
    try {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let file = normalize(join(dir, path));
      if (!file.startsWith(dir + sep) && file !== dir) throw new Error("outside");
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", ...headers });
      res.end(body);
    } catch (e) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

// The WebAssembly core the page loads (web/camscope_core_simd.js: Emscripten's JS and the
// gzip-compressed wasm beside it), started in Node.
export async function pageCore() {
  const box = { self: {} };
  vm.runInNewContext(readFileSync(join(WEB, "camscope_core_simd.js"), "utf8"), box);
  const factory = new Function("require", "module", "exports", "__filename", "__dirname", `${box.self.camscopeCoreSource}\nreturn createCamscope;`)(
    createRequire(import.meta.url), {}, undefined, "x.js", ".",
  );
  const wasm = box.self.camscopeCoreWasm;
  const bytes = Buffer.from(wasm.base64, "base64");
  return factory({ wasmBinary: wasm.encoding === "gzip" ? gunzipSync(bytes) : bytes });
}

// The headers tools/serve.py sends: the page is then cross-origin isolated (threads).
export const ISOLATION_HEADERS = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

// Opens the page and waits until it has drawn its first maps. Returns the page and what it
// logged / asked for (console errors, page errors, every request URL, workers included).
// `locale`: the browser's language (the page picks its own from it: English unless asked);
// `context`: more context options (isMobile, hasTouch, deviceScaleFactor for phones).
export async function openPage(browser, url, { viewport = { width: 1600, height: 1000 }, locale = "en-US", context: more = {} } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale, ...more });
  const page = await context.newPage();
  const seen = { errors: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  page.on("pageerror", (e) => seen.errors.push(`pageerror: ${e.message}`));
  context.on("request", (r) => seen.requests.push(r.url()));
  page.on("worker", (w) => seen.requests.push(`worker:${w.url()}`));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.camscopeDebug && (window.camscopeDebug.ready || window.camscopeDebug.error), null, {
    timeout: 60000,
  });
  await idle(page);
  seen.loadMs = Date.now() - t0;
  return { page, context, seen };
}

// Waits until the page has nothing running and has drawn.
export async function idle(page) {
  await page.waitForTimeout(30);
  await page.evaluate(() => window.camscopeDebug.idle());
}

// The last raw maps the page drew, as plain arrays.
export async function lastMaps(page) {
  return page.evaluate(() => {
    const d = window.camscopeDebug.lastMaps;
    const maps = {};
    for (const [m, list] of Object.entries(d.maps)) maps[m] = list.map((a) => Array.from(a));
    return { ...d, maps, prediction: { ...d.prediction, probabilities: Array.from(d.prediction.probabilities), logits: Array.from(d.prediction.logits) } };
  });
}

export async function message(page) {
  return page.evaluate(() => {
    const box = document.querySelector("#message");
    return box.hidden ? null : { kind: box.className.replace("message", "").trim(), text: box.textContent.trim() };
  });
}

// Pixel statistics of every map canvas in the Explain view: {"method|class": {mean, std}},
// and diff["method"]: the mean |difference| between the class-0 and class-1 canvases.
export async function mapCanvases(page) {
  return page.evaluate(() => {
    const stats = {};
    const pixels = {};
    for (const c of document.querySelectorAll("#view-explain canvas[data-method]")) {
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let sq = 0;
      const n = px.length / 4;
      for (let i = 0; i < n; i++) {
        const v = (px[4 * i] + px[4 * i + 1] + px[4 * i + 2]) / 3;
        sum += v;
        sq += v * v;
      }
      const mean = sum / n;
      stats[`${c.dataset.method}|${c.dataset.class}`] = { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
      pixels[`${c.dataset.method}|${c.dataset.class}`] = px;
    }
    const diff = {};
    for (const key of Object.keys(pixels)) {
      const [method, cls] = key.split("|");
      const other = pixels[`${method}|1`];
      if (cls !== "0" || !other) continue;
      const a = pixels[key];
      let d = 0;
      for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - other[i]);
      diff[method] = d / a.length;
    }
    return { stats, diff };
  });
}

export { readNpy, relError } from "../npy.mjs";
import { readNpy } from "../npy.mjs";
import { execFileSync } from "node:child_process";

// The page's maps against the CLI's: every layer kind the page offers (last conv, pooled,
// middle and first convs), both methods, and the tolerance (relative to the map's max).
export const MAP_LAYERS = ["features.14", "avgpool", "features.8", "features.4", "features.0"];
export const MAP_METHODS = ["gradcam", "layercam"];
export const MAP_TOLERANCE = 1e-4;

// Runs `camscope explain` on one picture at each layer (outputs under dir); returns
// {layer: {method: [{shape, data} per class]}}.
export function cliMaps(picture, classes, dir, layers = MAP_LAYERS) {
  const stem = picture.replace(/^.*\//, "").replace(/\.[^.]+$/, "");
  const maps = {};
  for (const layer of layers) {
    const out = join(dir, `${stem}_${layer}`);
    execFileSync(CLI, ["explain", picture, "--weights", SHIPPED_WEIGHTS, "--layer", layer, "--method", MAP_METHODS.join(","), "--class", "all", "--out", out], {
      stdio: "pipe",
    });
    maps[layer] = {};
    for (const method of MAP_METHODS) maps[layer][method] = classes.map((c) => readNpy(join(out, `${stem}__${method}__${layer}__${c}.npy`)));
  }
  return maps;
}

export { existsSync };

// ---- a minimal PNG writer (8-bit RGB), for pictures made up by the tests
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
// rgb: width*height*3 bytes. idat: override the compressed data (e.g. garbage).
export function encodePng(width, height, rgb, { idat } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  let raw = null;
  if (!idat) {
    raw = Buffer.alloc((width * 3 + 1) * height);
    for (let y = 0; y < height; y++) Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat || deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// A smooth made-up picture with some texture (deterministic).
export function testPicture(width, height) {
  const rgb = new Uint8Array(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = (seed >>> 24) & 31;
      const i = 3 * (y * width + x);
      rgb[i] = (128 + 100 * Math.sin(x / 17) + n) & 255;
      rgb[i + 1] = (128 + 90 * Math.cos(y / 11) + n) & 255;
      rgb[i + 2] = ((x * y) / 97 + n) & 255;
    }
  return rgb;
}
