// Each sample picture gets a prediction and drawn maps; classes differ; the layer picker
// changes the maps' resolution; the other views draw; a view exports as PNG.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launch, startServer, openPage, idle, lastMaps, mapCanvases } from "./helpers.mjs";

let browser;
let server;
let page;
let context;
before(async () => {
  browser = await launch();
  server = await startServer();
  ({ page, context } = await openPage(browser, server.url));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

async function layerIndex(name) {
  return page.evaluate((n) => window.camscopeDebug.state.model.info.layers.findIndex((l) => l.name === n), name);
}

test("each sample picture: a prediction, non-blank maps, different per class", async (t) => {
  for (const name of ["both.png", "cat.jpg", "dog.jpg"]) {
    await page.click(`button[data-sample="${name}"]`);
    await idle(page);
    const m = await lastMaps(page);
    assert.equal(m.pictureName, name);
    assert.deepEqual(m.shape, [256, 13, 13]);
    const p = m.prediction.probabilities;
    assert.equal(p.length, 2);
    assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-5, "probabilities add up to 1");
    assert.match(await page.textContent("[data-testid=verdict]"), /^(cat|dog)/);
    const { stats: canvases, diff } = await mapCanvases(page);
    const keys = Object.keys(canvases).sort();
    assert.deepEqual(keys, ["gradcam|0", "gradcam|1", "layercam|0", "layercam|1"]);
    for (const k of keys) assert.ok(canvases[k].std > 8, `${name} ${k} is not blank (std ${canvases[k].std.toFixed(1)})`);
    for (const method of ["gradcam", "layercam"]) {
      const mean = diff[method];
      assert.ok(mean > 2, `${name} ${method}: class 0 and class 1 canvases differ (mean |diff| ${mean.toFixed(2)})`);
    }
    t.diagnostic(`${name}: ${["cat", "dog"][m.prediction.predicted]} ${(100 * Math.max(...p)).toFixed(1)} %`);
  }
});

test("the layer picker suggests the last conv (the default) and the last pool, found from the graph", async () => {
  const groups = await page.$$eval("#layer optgroup", (gs) => gs.map((g) => [g.label, [...g.children].map((o) => o.textContent)]));
  assert.deepEqual(groups[0], ["Suggested", ["features.14 · default, last conv · 13×13 · 256 ch", "avgpool · last pool · 6×6 · 256 ch"]]);
  assert.deepEqual(groups.map(([g]) => g), ["Suggested", "Convolutions", "Pools"]);
  assert.match(await page.getAttribute("[data-testid=layer-note]", "title"), /is where camscope starts: the last layer with a grid\. Deeper layers/);
});

test("the layer picker changes the maps' resolution without a new forward pass", async () => {
  const forwards = await page.evaluate(() => window.camscopeDebug.state.timings.forwardMs);
  for (const [name, shape] of [
    ["avgpool", [256, 6, 6]],
    ["features.4", [192, 27, 27]],
    ["features.0", [64, 55, 55]],
    ["features.14", [256, 13, 13]],
  ]) {
    await page.selectOption("#layer", String(await layerIndex(name)));
    await idle(page);
    const m = await lastMaps(page);
    assert.equal(m.layerName, name);
    assert.deepEqual(m.shape, shape);
    assert.equal(m.maps.gradcam[0].length, shape[1] * shape[2]);
  }
  // Class, method, opacity, normalisation and colour changes redraw from the kept maps.
  const before = await page.evaluate(() => window.camscopeDebug.renders);
  await page.fill("#opacity", "0.8");
  await page.dispatchEvent("#opacity", "input");
  await page.click("#norm label:nth-child(2)");
  await page.selectOption("#cmap", "viridis");
  await idle(page);
  const after = await page.evaluate(() => ({
    renders: window.camscopeDebug.renders,
    forward: window.camscopeDebug.state.timings.forwardMs,
    norm: window.camscopeDebug.state.norm,
    opacity: window.camscopeDebug.state.opacity,
  }));
  assert.ok(after.renders > before);
  assert.equal(after.norm, "shared");
  assert.equal(after.opacity, 0.8);
  assert.equal(after.forward, forwards, "no new forward pass");
  await page.click("#norm label:nth-child(3)");
  await idle(page);
  assert.equal(await page.locator("canvas.colourbar").count(), 2, "raw values come with colour bars");
  await page.click("#norm label:nth-child(1)");
  await idle(page);
});

test("feature maps: every channel, sorted by the Grad-CAM weight, a tile enlarges", async () => {
  await page.keyboard.press("2");
  await idle(page);
  const grid = page.locator("#view-features .feature-grid canvas");
  const box = await grid.boundingBox();
  const info = await page.evaluate(() => {
    const c = document.querySelector("#view-features .feature-grid canvas");
    return { w: c.width, h: c.height, heading: document.querySelector("#view-features .channel-card h3").textContent };
  });
  const m = await lastMaps(page);
  const w = Array.from(m.weights[m.focusClass]);
  const best = w.indexOf(Math.max(...w));
  assert.equal(info.heading, `Channel ${best}`, "sorted by weight: the strongest channel first and selected");
  assert.ok(info.w >= 16 * 13 && info.h >= 16 * 13, "16 x 16 tiles of 13 x 13");
  // The second tile of the first row.
  await page.mouse.click(box.x + (box.width / 16) * 1.5, box.y + box.height / 32);
  await idle(page);
  const order = w.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, k]) => k);
  assert.equal(await page.textContent("#view-features .channel-card h3"), `Channel ${order[1]}`);
  await page.keyboard.press("ArrowRight");
  await idle(page);
  assert.equal(await page.textContent("#view-features .channel-card h3"), `Channel ${order[2]}`);
});

test("compare tables and the teaching panel draw; a view saves as PNG", async () => {
  await page.keyboard.press("3");
  await idle(page);
  const rows = await page.$$eval("#view-compare table.lab", (ts) => ts.map((t) => t.querySelectorAll("tbody tr").length));
  assert.deepEqual(rows, [3, 3, 3], "Grad-CAM, Layer-CAM and side-by-side tables, a row per picture");
  const blank = await page.$$eval("#view-compare table.lab canvas", (cs) =>
    cs.filter((c) => {
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let lo = 255;
      let hi = 0;
      for (let i = 0; i < px.length; i += 4) {
        lo = Math.min(lo, px[i]);
        hi = Math.max(hi, px[i]);
      }
      return hi - lo < 10;
    }).length,
  );
  assert.equal(blank, 0, "every table cell is drawn");

  await page.keyboard.press("4");
  await idle(page);
  const steps = await page.$$eval("#view-teach .dots button", (b) => b.length);
  assert.equal(steps, 11, "Grad-CAM and Layer-CAM in five steps, four more methods, every method, the numbers");
  for (let i = 0; i < steps; i++) {
    await page.keyboard.press("ArrowRight");
    await idle(page);
  }
  assert.equal(await page.getAttribute("#view-teach", "data-step"), String(steps - 1), "← → walk every step");
  await page.click("#view-teach .dots button:nth-child(3)");
  await idle(page);
  assert.match(await page.textContent("#view-teach"), /w\s*c\s*k\s*=/i, "the Grad-CAM weight formula is shown");

  await page.keyboard.press("1");
  await idle(page);
  const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("s")]);
  assert.match(download.suggestedFilename(), /^camscope_explain_.*\.png$/);
  const bytes = await readFile(await download.path());
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG file");
  assert.ok(bytes.length > 20000);
  await context.close();
});
