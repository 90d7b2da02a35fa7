// Issue 9 on the page: every method of the core's catalogue, chosen in the page's picker, gives
// raw results equal to the CLI's `--method NAME` outputs (1e-4 of the max) and to the same
// WebAssembly core run in Node on the same pixels; the drawn guided pictures are the core's
// RGB rule at the picture's own geometry; switching among gradient methods sends no forward
// or backward pass; Score-CAM and SmoothGrad say they need extra passes, show progress and
// stop when the layer or the picture changes; the fused view equals the core's fusion.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  launch, pageCore, startServer, openPage, idle, readNpy, relError, existsSync, encodePng, testPicture, CLI, WEB, SHIPPED_WEIGHTS, MAP_TOLERANCE,
} from "./helpers.mjs";

const missing = !existsSync(CLI) && `the CLI is not built (${CLI})`;
const PICTURE = join(WEB, "samples", "both.png");
const LAYER = "features.14";
const FUSED = ["features.8", "features.11", "features.14"];
const SMOOTH = { samples: 4, noise: 0.15 };

let browser;
let server;
let dir;
before(async () => {
  if (missing) return;
  browser = await launch();
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "camscope-methods-"));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Whether the CLI writes every method (Score-CAM, the input gradients, fusion): its usage
// lists the input-gradient methods and --fuse.
// The same WebAssembly core the page loads, in Node.
async function nodeCore() {
  return pageCore();
}

// both.png's pixels as the CLI decodes them (PNG: the file's own), as RGBA.
function pictureRgba() {
  const npy = join(dir, "both_pixels.npy");
  execFileSync(CLI, ["decode", PICTURE, npy], { stdio: "pipe" });
  const { shape, data } = readNpy(npy);
  const [h, w] = shape;
  const rgba = new Uint8Array(w * h * 4).fill(255);
  for (let i = 0; i < w * h; i++) rgba.set(data.subarray(3 * i, 3 * i + 3), 4 * i);
  return { rgba, width: w, height: h };
}

// C x H x W -> H x W x C (the CLI writes input gradients channels-last).
function toHwc(chw, [c, h, w]) {
  const out = new Float32Array(chw.length);
  for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[p * c + k] = chw[k * h * w + p];
  return out;
}

// The page's raw results now: maps (layer resolution), pictures (C x H x W, with what was
// drawn), the fused maps, as plain arrays.
async function pageResults(page) {
  return page.evaluate(() => {
    const d = window.camscopeDebug.lastMaps;
    const arr = (list) => list.map((a) => Array.from(a));
    const pictures = {};
    for (const [m, r] of Object.entries(d.pictures))
      pictures[m] = { shape: r.shape, drawAs: r.drawAs, pictures: arr(r.pictures), rgba: r.rgba ? arr(r.rgba) : null, magnitude: r.magnitude ? arr(r.magnitude) : null };
    const maps = {};
    for (const [m, list] of Object.entries(d.maps)) maps[m] = arr(list);
    return {
      layer: d.layer, shape: d.shape, maps, pictures,
      fused: d.fused ? { ...d.fused, fused: arr(d.fused.fused) } : null,
      catalog: window.camscopeDebug.state.model.catalog,
      classes: window.camscopeDebug.state.model.info.classes,
      layers: window.camscopeDebug.state.model.info.layers.map((l) => l.name),
    };
  });
}

async function pick(page, picker, selectors, check = true) {
  await page.click(`${picker} summary`);
  for (const s of selectors) await (check ? page.check(s) : page.uncheck(s));
  await page.keyboard.press("Escape");
  await idle(page);
}

// Runs the CLI for one method; returns the .npy files it wrote for it, by class.
function cliOutputs(method, classes, layer = LAYER, extra = []) {
  const out = join(dir, `cli_${method}_${layer.replace(/,/g, "+")}`);
  const smooth = ["--smoothgrad-samples", String(SMOOTH.samples), "--smoothgrad-noise", String(SMOOTH.noise)];
  execFileSync(CLI, ["explain", PICTURE, "--weights", SHIPPED_WEIGHTS, "--layer", layer, "--method", method, "--class", "all", "--out", out, ...smooth, ...extra], { stdio: "pipe" });
  const names = readdirSync(out).filter((n) => n.endsWith(".npy"));
  return Object.fromEntries(classes.map((c) => [c, names.filter((n) => n.startsWith(`both__${method}__`) && n.endsWith(`__${c}.npy`)).map((n) => ({ name: n, ...readNpy(join(out, n)) }))]));
}

// Every method chosen in the page's picker at LAYER for both.png (once for the tests below):
// the page's results, the catalogue's kinds, the time it took.
let everything = null;
function allMethods() {
  everything = everything || (async () => {
    const { page, context, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } });
    const names = await page.$$eval("#methods-panel input[data-method]", (is) => is.map((i) => i.dataset.method));
    const catalog = await page.evaluate(() => window.camscopeDebug.state.model.catalog.map((m) => m.name));
    await page.click('button[data-sample="both.png"]');
    await idle(page);
    const index = await page.evaluate((n) => window.camscopeDebug.state.model.info.layers.findIndex((l) => l.name === n), LAYER);
    await page.selectOption("#layer", String(index));
    await idle(page);
    await page.click("#methods-summary");
    await page.fill("#smooth-samples", String(SMOOTH.samples));
    await page.dispatchEvent("#smooth-samples", "change");
    await page.fill("#smooth-noise", String(SMOOTH.noise));
    await page.dispatchEvent("#smooth-noise", "change");
    await page.keyboard.press("Escape");
    const t0 = Date.now();
    await pick(page, "#methods-picker", catalog.map((m) => `#methods-panel input[data-method="${m}"]`));
    const ms = Date.now() - t0;
    const r = await pageResults(page);
    const rows = await page.$$eval("#view-explain canvas[data-method]", (cs) => [...new Set(cs.map((c) => c.dataset.method))]);
    const errors = seen.errors.slice();
    await context.close();
    return { names, catalog, index, ms, r, rows, errors };
  })();
  return everything;
}

test("every method: the page's raw results equal the same core's in Node, and what it draws is the core's rendering", { skip: missing, timeout: 1800000 }, async (t) => {
  const { names, catalog, index, ms, r, rows, errors } = await allMethods();
  assert.deepEqual([...names].sort(), [...catalog].sort(), "the picker offers the whole catalogue");
  assert.equal(catalog.length, 15);
  assert.equal(r.layer, index);
  assert.deepEqual(rows, catalog, "Explain shows a row per method");
  assert.deepEqual(errors, []);
  // The reference in Node: the same core, the same pixels, the same settings.
  const core = await nodeCore();
  const s = new core.Session();
  assert.equal(s.loadWeights(readFileSync(SHIPPED_WEIGHTS)), "");
  const px = pictureRgba();
  assert.equal(s.setPicture(px.rgba, px.width, px.height), "");
  const info = JSON.parse(s.info());
  let done = 0;
  while (done < info.layers[index].shape[0]) done = s.scoreCamRun(index, 64);
  for (let n = 0; n < SMOOTH.samples; ) n = s.smoothgradRun(SMOOTH.samples, SMOOTH.noise, SMOOTH.samples);
  const kinds = Object.fromEntries(JSON.parse(core.camMethods()).map((m) => [m.name, m.kind]));
  let worst = 0;
  for (const m of catalog) {
    r.classes.forEach((cls, c) => {
      if (kinds[m] === "picture") {
        const got = r.pictures[m];
        assert.ok(got, `the page has ${m}`);
        const ref = s.picture(m, c, m === "guidedgradcam" ? index : -1);
        const e = relError(got.pictures[c], ref);
        worst = Math.max(worst, e);
        assert.ok(e <= 1e-6, `${m} ${cls}: ${e} from the core in Node`);
        // What was drawn is the core's own rendering of that gradient.
        const [ch, h, w] = got.shape;
        if (got.drawAs === "rgb") assert.deepEqual(got.rgba[c], Array.from(core.gradientRgba(ref, ch, h, w)), `${m} ${cls}: the core's RGB rule`);
        else assert.deepEqual(got.magnitude[c], Array.from(core.gradientMagnitude(ref, ch, h * w)), `${m} ${cls}: the core's magnitude`);
      } else {
        const e = relError(r.maps[m][c], s.cam(m, index, c));
        worst = Math.max(worst, e);
        assert.ok(e <= 1e-6, `${m} ${cls}: ${e} from the core in Node`);
      }
    });
  }
  assert.deepEqual(Object.keys(r.pictures).sort(), ["guidedbackprop", "guidedgradcam", "saliency", "smoothgrad"]);
  assert.equal(r.pictures.guidedbackprop.drawAs, "rgb");
  assert.equal(r.pictures.guidedgradcam.drawAs, "rgb");
  assert.equal(r.pictures.saliency.drawAs, "magnitude");
  t.diagnostic(`all ${catalog.length} methods at ${LAYER} chosen and drawn in ${ms} ms (Score-CAM: ${info.layers[index].shape[0]} masked passes; SmoothGrad: ${SMOOTH.samples} copies); worst difference to the core in Node ${worst.toExponential(2)}`);
});

// The page's results for `methods` against the CLI's `--method NAME`, one method at a time.
async function againstCli(t, which) {
  const { catalog, r } = await allMethods();
  const kinds = Object.fromEntries(r.catalog.map((m) => [m.name, m.kind]));
  const methods = catalog.filter((m) => which(kinds[m]));
  let worst = 0;
  for (const m of methods) {
    const files = cliOutputs(m, r.classes);
    r.classes.forEach((cls, c) => {
      const list = files[cls].filter((f) => !f.name.includes("__fused-"));
      assert.equal(list.length, 1, `the CLI wrote one ${m} file for ${cls}`);
      const ref = list[0];
      if (kinds[m] === "picture") {
        const got = r.pictures[m];
        assert.deepEqual(ref.shape, [got.shape[1], got.shape[2], got.shape[0]], `${m}: H x W x C at the network input`);
        const e = relError(toHwc(got.pictures[c], got.shape), ref.data);
        worst = Math.max(worst, e);
        assert.ok(e < MAP_TOLERANCE, `${m} ${cls}: ${e} from the CLI's`);
      } else {
        assert.deepEqual(ref.shape, r.shape.slice(1), `${m}: the layer's grid`);
        const e = relError(r.maps[m][c], ref.data);
        worst = Math.max(worst, e);
        assert.ok(e < MAP_TOLERANCE, `${m} ${cls}: ${e} from the CLI's`);
      }
    });
  }
  t.diagnostic(`CLI ${CLI}: ${methods.join(", ")}: worst relative difference ${worst.toExponential(2)}`);
}

test("every layer method: the page's raw maps equal the CLI's --method NAME", { skip: missing, timeout: 1800000 }, (t) => againstCli(t, (k) => k === "layer"));

test("Score-CAM and the picture methods: the page's raw results equal the CLI's --method NAME", { skip: missing, timeout: 1800000 }, (t) => againstCli(t, (k) => k !== "layer"));

test("switching among gradient methods sends no forward or backward pass; a method chosen again asks nothing", { skip: missing }, async () => {
  const { page, context, seen } = await openPage(browser, server.url);
  await idle(page);
  const before = await page.evaluate(() => ({ n: window.camscopeDebug.requests().length, timings: { ...window.camscopeDebug.state.timings } }));
  const gradient = ["gradcampp", "xgradcam", "hirescam", "gradcam_ew", "eigengradcam", "eigencam", "gradcam_neg", "layercam_neg"];
  for (const m of gradient) await pick(page, "#methods-picker", [`#methods-panel input[data-method="${m}"]`]);
  let after = await page.evaluate(() => ({ sent: window.camscopeDebug.requests(), timings: { ...window.camscopeDebug.state.timings }, maps: Object.keys(window.camscopeDebug.lastMaps.maps) }));
  const sent = after.sent.slice(before.n);
  assert.deepEqual([...new Set(sent)], ["maps"], `only maps were asked for: ${sent.join(", ")}`);
  assert.equal(sent.length, gradient.length, "one request per new method");
  assert.equal(after.timings.forwardMs, before.timings.forwardMs, "no forward pass");
  assert.equal(after.timings.backwardMs, before.timings.backwardMs, "no backward pass: the Session's kept gradients served every method");
  for (const m of gradient) assert.ok(after.maps.includes(m));
  // Off and on again: drawn from the page's cache, nothing asked.
  const n = after.sent.length;
  await pick(page, "#methods-picker", ['#methods-panel input[data-method="gradcampp"]'], false);
  await pick(page, "#methods-picker", ['#methods-panel input[data-method="gradcampp"]']);
  after = await page.evaluate(() => window.camscopeDebug.requests());
  assert.deepEqual(after.slice(n), [], "nothing asked again");
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("Score-CAM and SmoothGrad say they need extra passes, show progress, and stop when the layer or the picture changes", { skip: missing, timeout: 900000 }, async (t) => {
  const { page, context, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } });
  const notes = await page.$$eval("#methods-panel .pick", (ls) => Object.fromEntries(ls.map((l) => [l.querySelector("input").dataset.method, l.textContent])));
  assert.match(notes.scorecam, /extra passes: one forward pass per channel of the layer/);
  assert.match(notes.smoothgrad, /extra passes: a forward and a backward pass per noisy copy/);
  const layers = await page.evaluate(() => window.camscopeDebug.state.model.info.layers.map((l) => l.name));
  const progress = () => page.evaluate(() => window.camscopeDebug.state.progress);
  const sent = () => page.evaluate(() => window.camscopeDebug.requests());
  await page.click("#methods-summary");
  await page.check('#methods-panel input[data-method="scorecam"]');
  await page.keyboard.press("Escape");
  // Progress, in the cell and in the state.
  await page.waitForFunction(() => Object.values(window.camscopeDebug.state.progress).some((p) => p.done > 0), null, { timeout: 120000 });
  const first = await progress();
  const [key] = Object.keys(first);
  assert.match(key, /\|score\|14$/, "Score-CAM at features.14");
  assert.equal(first[key].total, 256);
  await page.waitForFunction(() => /Score-CAM: \d+ of 256 masked forward passes/.test(document.querySelector("#view-explain [data-progress]")?.textContent || ""));
  assert.ok(await page.$eval("#view-explain [data-progress] progress", (p) => p.max === 256 && p.value > 0));
  // Another layer (the first conv: 64 channels, the fewest passes): the run stops (a cancel
  // is sent), the new layer's maps are drawn while Score-CAM starts over there.
  const cancels = (await sent()).filter((x) => x === "cancel").length;
  await page.selectOption("#layer", String(layers.indexOf("features.0")));
  await page.waitForFunction((i) => window.camscopeDebug.lastMaps.layer === i, layers.indexOf("features.0"), { timeout: 120000 });
  assert.equal((await sent()).filter((x) => x === "cancel").length, cancels + 1, "the features.14 run was cancelled");
  const now = await progress();
  assert.ok(!Object.keys(now).some((k) => k.endsWith("|score|14")), "no progress left for features.14");
  // Another picture: the features.0 run for both.png stops too.
  await page.waitForFunction(() => Object.keys(window.camscopeDebug.state.progress).some((k) => k.endsWith("|score|0")), null, { timeout: 120000 });
  await page.click('button[data-sample="cat.jpg"]');
  await page.waitForFunction(() => window.camscopeDebug.lastMaps.pictureName === "cat.jpg", null, { timeout: 120000 });
  assert.equal((await sent()).filter((x) => x === "cancel").length, cancels + 2, "the run for the previous picture was cancelled");
  await idle(page);
  const done = await page.evaluate(() => ({ maps: Object.keys(window.camscopeDebug.lastMaps.maps), name: window.camscopeDebug.lastMaps.pictureName, progress: window.camscopeDebug.state.progress, messages: window.camscopeDebug.messages }));
  assert.equal(done.name, "cat.jpg");
  assert.ok(done.maps.includes("scorecam"), "Score-CAM finished for the picture shown");
  assert.deepEqual(done.progress, {});
  assert.deepEqual(done.messages.filter((m) => m.kind === "error"), [], "a cancel is not an error");
  // SmoothGrad: progress in noisy copies; a picture change stops it.
  await page.click("#methods-summary");
  await page.uncheck('#methods-panel input[data-method="scorecam"]');
  await page.fill("#smooth-samples", "64");
  await page.dispatchEvent("#smooth-samples", "change");
  await page.check('#methods-panel input[data-method="smoothgrad"]');
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => /SmoothGrad: \d+ of 64 noisy copies/.test(document.querySelector("#view-explain [data-progress]")?.textContent || ""), null, { timeout: 120000 });
  const c2 = (await sent()).filter((x) => x === "cancel").length;
  await page.click('button[data-sample="dog.jpg"]');
  await page.waitForFunction(() => window.camscopeDebug.lastMaps.pictureName === "dog.jpg", null, { timeout: 120000 });
  assert.equal((await sent()).filter((x) => x === "cancel").length, c2 + 1, "SmoothGrad for cat.jpg was cancelled");
  await page.click("#methods-summary");
  await page.uncheck('#methods-panel input[data-method="smoothgrad"]');
  await page.keyboard.press("Escape");
  await idle(page);
  assert.deepEqual(await progress(), {});
  t.diagnostic("cancelled on a layer change, a picture change, and when SmoothGrad's picture changed");
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("guided pictures: the core's RGB image stretched to the picture's own geometry", { skip: missing }, async () => {
  const file = join(dir, "wide.png");
  writeFileSync(file, encodePng(301, 203, testPicture(301, 203)));
  const { page, context, seen } = await openPage(browser, server.url);
  await page.setInputFiles("#file", file);
  await idle(page);
  await pick(page, "#methods-picker", ['#methods-panel input[data-method="guidedbackprop"]', '#methods-panel input[data-method="guidedgradcam"]']);
  for (const m of ["guidedbackprop", "guidedgradcam"]) {
    const check = await page.evaluate((method) => {
      const d = window.camscopeDebug.lastMaps.pictures[method];
      const out = [];
      for (const canvas of document.querySelectorAll(`#view-explain canvas[data-method="${method}"]`)) {
        const c = Number(canvas.dataset.class);
        // The same RGBA at the network input, stretched to this canvas by the browser: the
        // canvas must hold exactly that.
        const src = document.createElement("canvas");
        [src.width, src.height] = [d.shape[2], d.shape[1]];
        src.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(d.rgba[c]), d.shape[2], d.shape[1]), 0, 0);
        const ref = document.createElement("canvas");
        [ref.width, ref.height] = [canvas.width, canvas.height];
        const ctx = ref.getContext("2d");
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = "high";
        ctx.drawImage(src, 0, 0, ref.width, ref.height);
        const a = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const b = ctx.getImageData(0, 0, ref.width, ref.height).data;
        let diff = 0;
        let grey = 0;
        for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
        for (let i = 0; i < a.length; i += 4) if (Math.abs(a[i] - a[i + 1]) > 8 || Math.abs(a[i] - a[i + 2]) > 8) grey++;
        out.push({ w: canvas.width, h: canvas.height, diff, coloured: grey, caption: canvas.parentElement.querySelector(".cap").textContent, label: canvas.getAttribute("aria-label") });
      }
      return out;
    }, m);
    assert.equal(check.length, 2);
    for (const c of check) {
      assert.ok(Math.abs(c.w / c.h - 301 / 203) < 0.01, `${m}: drawn at the picture's aspect (${c.w}×${c.h})`);
      assert.equal(c.diff, 0, `${m}: the canvas is the core's RGB image, stretched`);
      assert.ok(c.coloured > 100, `${m}: an RGB image, not grey (${c.coloured} coloured pixels)`);
      assert.match(c.caption, /^max \|gradient\| /);
      assert.match(c.label, /at the picture's size: the gradient as an RGB image/);
    }
  }
  assert.match(await page.textContent("#view-explain .rgb-legend"), /^Guided Backpropagation, Guided Grad-CAM: grey is the average gradient/);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

// Fuses FUSED in the page and checks it against the core in Node (and the CLI's --fuse when
// `cli`), for max and mean; then the export's labels.
async function fusion(t, cli) {
  const { page, context, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } });
  await page.click('button[data-sample="both.png"]');
  await idle(page);
  const layers = await page.evaluate(() => window.camscopeDebug.state.model.info.layers.map((l) => l.name));
  const indices = FUSED.map((n) => layers.indexOf(n));
  await pick(page, "#fuse-picker", indices.map((i) => `#fuse-panel input[data-layer="${i}"]`));
  const core = await nodeCore();
  const s = new core.Session();
  s.loadWeights(readFileSync(SHIPPED_WEIGHTS));
  const px = pictureRgba();
  s.setPicture(px.rgba, px.width, px.height);
  const info = JSON.parse(s.info());
  const [, H, W] = info.input;
  for (const rule of ["max", "mean"]) {
    if (rule === "mean") {
      await page.click("#fuse-summary");
      await page.check('#fuse-panel input[name="fuse-rule"][value="mean"]');
      await page.keyboard.press("Escape");
      await idle(page);
    }
    const fused = await page.evaluate(() => {
      const f = window.camscopeDebug.lastMaps.fused;
      return { ...f, fused: f.fused.map((a) => Array.from(a)) };
    });
    assert.deepEqual([fused.rule, fused.method, fused.layers, fused.height, fused.width], [rule, "layercam", indices, H, W]);
    const classes = info.classes;
    const written = cli ? cliOutputs("layercam", classes, FUSED.join(","), ["--fuse", rule]) : null;
    classes.forEach((cls, c) => {
      const ref = core.fuseMaps(indices.map((i) => s.cam("layercam", i, c)), indices.map((i) => info.layers[i].shape.slice(1)), H, W, rule);
      assert.ok(relError(fused.fused[c], ref) <= 1e-6, `${rule} ${cls}: the core's fusion`);
      if (written) {
        const f = written[cls].find((x) => x.name.includes(`__fused-${rule}__`));
        assert.ok(f, `the CLI wrote the fused ${cls} map`);
        const e = relError(fused.fused[c], f.data);
        assert.ok(e < MAP_TOLERANCE, `${rule} ${cls}: ${e} from the CLI's --fuse`);
      }
    });
    const heads = await page.$$eval("#view-explain .row-head, #view-explain .group-head, #view-explain .method-head", (hs) => hs.map((h) => h.textContent));
    assert.ok(heads.includes(`Layer-CAM, fused (${rule})`), heads.join(" | "));
  }
  // Saved: the file name and the figure say which layers were fused.
  const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("s")]);
  assert.match(download.suggestedFilename(), /_gradcam\+layercam_fused-mean-layercam_features\.8\+features\.11\+/);
  const texts = await page.evaluate(() => window.camscopeDebug.lastExport.figure.texts.map((x) => x.text));
  assert.ok(texts.some((x) => /^Layer-CAM, fused \(mean\): layers features\.8 \+ features\.11 \+ features\.14/.test(x)), texts.join(" | "));
  assert.deepEqual(seen.errors, []);
  await context.close();
}

test("the fused view equals the core's fusion of the chosen layers (max and mean); its export names the layers", { skip: missing }, (t) => fusion(t, false));

test("the fused view equals the CLI's --layer A,B,C --fuse max|mean", { skip: missing }, (t) => fusion(t, true));

// "How it works" explains Grad-CAM++, Eigen-CAM, Score-CAM and Guided Grad-CAM, each with its
// formula and this picture's numbers (taken from the results the page drew from).
test("How it works: Grad-CAM++, Eigen-CAM, Score-CAM (on request) and Guided Grad-CAM with this picture's numbers", { skip: missing, timeout: 900000 }, async () => {
  const { page, context, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } });
  const layers = await page.evaluate(() => window.camscopeDebug.state.model.info.layers.map((l) => l.name));
  // The first conv: Score-CAM's 64 passes are the fewest.
  await page.selectOption("#layer", String(layers.indexOf("features.0")));
  await page.keyboard.press("4");
  await idle(page);
  const step = async (n) => {
    await page.click(`#view-teach [data-focus=step-${n - 1}]`);
    await idle(page);
    return {
      title: await page.textContent("#view-teach h2"),
      formulas: await page.$$eval("#view-teach .formula", (fs) => fs.map((f) => f.textContent)),
      numbers: await page.evaluate(() => document.querySelector("#view-teach [data-testid=teach-numbers]")?.textContent || ""),
      maps: await page.evaluate(() => window.camscopeDebug.lastMaps),
    };
  };
  let s = await step(6);
  assert.equal(s.title, "6 · Grad-CAM++");
  assert.match(s.formulas.join(" "), /α/);
  const pp = s.maps.methodWeights.gradcampp[s.maps.focusClass];
  const top = pp.indexOf(Math.max(...pp));
  assert.match(s.numbers, new RegExp(`the strongest channel is k = ${top} `), s.numbers);
  s = await step(7);
  assert.equal(s.title, "7 · Eigen-CAM");
  const eig = s.maps.maps.eigencam;
  assert.deepEqual(eig[0], eig[1], "no gradient: one map for every class");
  assert.match(s.numbers, /the same map/);
  s = await step(8);
  assert.equal(s.title, "8 · Score-CAM");
  assert.match(await page.textContent("#view-teach"), /one forward pass per channel: 64 here/);
  assert.equal(s.maps.maps.scorecam, undefined, "nothing runs before it is asked for");
  await page.click("[data-focus=run-scorecam]");
  await idle(page);
  const numbers = await page.textContent("#view-teach [data-testid=teach-numbers]");
  const after = await page.evaluate(() => window.camscopeDebug.lastMaps);
  const w = after.methodWeights.scorecam[after.focusClass];
  const best = w.indexOf(Math.max(...w));
  assert.match(numbers, new RegExp(`The 64 masked pictures took [0-9.]+ s\\..*k = ${best} \\(`), numbers);
  s = await step(9);
  assert.equal(s.title, "9 · Guided Grad-CAM");
  assert.match(s.formulas.join(" "), /Guided Grad-CAM = G/);
  assert.match(s.numbers, /largest \|gradient\| .* \(guided backpropagation\) and .* \(Guided Grad-CAM\); Grad-CAM's 55×55 map/);
  assert.equal(await page.$$eval("#view-teach .visual canvas", (cs) => cs.length), 3);
  s = await step(10);
  const rows = await page.$$eval("#view-teach [data-testid=all-methods] tbody tr", (rs) => rs.map((r) => r.dataset.method));
  assert.deepEqual(rows, await page.evaluate(() => window.camscopeDebug.state.model.catalog.map((m) => m.name)), "every method's formula");
  assert.deepEqual(seen.errors, []);
  await context.close();
});
