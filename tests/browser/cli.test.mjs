// The maps the page computes equal the native CLI's for the same PNG picture (1e-4 of the
// max): the page hands the core the decoded pixels at their own size, so browser and CLI
// differ only in how they decode the file (and PNG decoding is exact).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  launch, pageCore, startServer, openPage, idle, lastMaps, relError, encodePng, testPicture, existsSync, cliMaps, CLI, WEB, SHIPPED_WEIGHTS,
  MAP_LAYERS as LAYERS, MAP_METHODS as METHODS, MAP_TOLERANCE,
} from "./helpers.mjs";
const missing = !existsSync(CLI) && `the CLI is not built (${CLI})`;

let browser;
let server;
let out;
before(async () => {
  if (missing) return;
  browser = await launch();
  server = await startServer();
  out = mkdtempSync(join(tmpdir(), "camscope-browser-"));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

// The same WebAssembly core the page loads (web/camscope_core_simd.js), run here in Node on
// the same pixels: {layer: {method: [per class]}}.
async function nodeMaps(rgba, width, height, classes) {
  const core = await pageCore();
  const s = new core.Session();
  assert.equal(s.loadWeights(readFileSync(SHIPPED_WEIGHTS)), "");
  assert.equal(s.setPicture(rgba, width, height), "");
  const info = JSON.parse(s.info());
  const maps = {};
  for (const layer of LAYERS) {
    const i = info.layers.findIndex((l) => l.name === layer);
    maps[layer] = {};
    for (const method of METHODS) maps[layer][method] = classes.map((c, k) => ({ shape: info.layers[i].shape.slice(1), data: s.cam(method, i, k) }));
  }
  return maps;
}

async function compare(t, page, name, reference, layersToCheck = LAYERS, tolerance = MAP_TOLERANCE, what = "the CLI") {
  const layers = await page.evaluate(() => window.camscopeDebug.state.model.info.layers.map((l) => l.name));
  let worst = 0;
  for (const layer of layersToCheck) {
    await page.selectOption("#layer", String(layers.indexOf(layer)));
    await idle(page);
    const m = await lastMaps(page);
    assert.equal(m.pictureName, name);
    assert.equal(m.layerName, layer);
    for (const method of METHODS) {
      m.maps[method].forEach((map, c) => {
        const ref = reference[layer][method][c];
        assert.deepEqual(ref.shape, m.shape.slice(1), `${layer} ${method} ${c}: shape`);
        const e = relError(map, ref.data);
        worst = Math.max(worst, e);
        assert.ok(e < tolerance, `${name} ${layer} ${method} class ${c}: relative error to ${what} ${e}`);
      });
    }
  }
  t.diagnostic(`${name}: worst relative difference to ${what} ${worst.toExponential(2)} over ${layersToCheck.join(", ")}`);
}

test("the sample PNG: page maps == CLI maps", { skip: missing }, async (t) => {
  const { page, context, seen } = await openPage(browser, server.url);
  const classes = await page.evaluate(() => window.camscopeDebug.state.model.info.classes);
  const reference = cliMaps(join(WEB, "samples", "both.png"), classes, out);
  await page.click('button[data-sample="both.png"]');
  await idle(page);
  await compare(t, page, "both.png", reference);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("a PNG of the user's (not square, not 224): page maps == CLI maps, also without SIMD", { skip: missing }, async (t) => {
  const file = join(out, "made_up.png");
  writeFileSync(file, encodePng(301, 203, testPicture(301, 203)));
  let reference = null;
  for (const query of ["", "?simd=off"]) {
    const { page, context, seen } = await openPage(browser, server.url + query);
    const classes = await page.evaluate(() => window.camscopeDebug.state.model.info.classes);
    reference = reference || cliMaps(file, classes, out);
    await page.setInputFiles("#file", { name: "made_up.png", mimeType: "image/png", buffer: readFileSync(file) });
    await idle(page);
    assert.deepEqual(await page.evaluate(() => [window.camscopeDebug.lastMaps.width, window.camscopeDebug.lastMaps.height]), [301, 203]);
    // The core gets exactly the PNG's pixels, at their own size.
    const rgb = testPicture(301, 203);
    const mismatches = await page.evaluate((expected) => {
      const p = window.camscopeDebug.state.pictures.find((q) => q.name === "made_up.png");
      let bad = 0;
      for (let i = 0; i < expected.length / 3; i++)
        for (let k = 0; k < 3; k++) if (p.rgba[4 * i + k] !== expected[3 * i + k]) bad++;
      return bad;
    }, [...rgb]);
    assert.equal(mismatches, 0, "decoded pixels are the PNG's own");
    // Every layer against the CLI; and, on the first page, against the same WebAssembly core
    // run in Node on the same pixels, where nothing but the page's plumbing could differ.
    await compare(t, page, "made_up.png", reference);
    if (!query) {
      const rgba = new Uint8Array(301 * 203 * 4).fill(255);
      for (let i = 0; i < 301 * 203; i++) rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
      await compare(t, page, "made_up.png", await nodeMaps(rgba, 301, 203, classes), LAYERS, 1e-6, "the same wasm core in Node");
    }
    assert.deepEqual(seen.errors, []);
    await context.close();
  }
});
