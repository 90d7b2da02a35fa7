// Issue 13, point 3 (projector mode): at 1280×720 and 1024×768, with and without large type,
// the Explain maps, Feature maps and every "How it works" step fit the window without
// scrolling; large type makes the Explain maps larger, in every normalisation, and the
// canvas-drawn legend text grows with it; column headings never overlap. With
// CAMSCOPE_SHOTS=DIR set, a screenshot of every view at each size is saved there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, startServer, openPage, idle } from "./helpers.mjs";
import { press, explainLayout, pageScroll, overlaps } from "./audit_helpers.mjs";

let browser;
let server;
const shots = process.env.CAMSCOPE_SHOTS || "";
before(async () => {
  browser = await launch();
  server = await startServer();
  if (shots) mkdirSync(shots, { recursive: true });
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`) });
}

async function setNorm(page, norm) {
  await page.click(`#norm input[value="${norm}"]`, { force: true });
  await idle(page);
}

// The Explain view in one normalisation: fits, headings apart, maps at least as large as the
// picture beside them. Returns the maps' width.
async function checkExplain(page, label) {
  const l = await explainLayout(page);
  assert.ok(l.scrollY <= 0 && l.scrollX <= 0, `${label}: the page scrolls (${l.scrollY} px down, ${l.scrollX} px across)`);
  assert.equal(new Set(l.widths).size, 1, `${label}: every map has one size (${l.widths})`);
  for (let i = 0; i < l.heads.length; i++)
    for (let j = i + 1; j < l.heads.length; j++)
      assert.ok(!overlaps(l.heads[i], l.heads[j]), `${label}: headings “${l.heads[i].text}” and “${l.heads[j].text}” overlap`);
  const picture = await page.evaluate(() => document.querySelector("#view-explain canvas.picture").getBoundingClientRect().width);
  assert.ok(l.widths[0] >= picture, `${label}: maps (${l.widths[0]} px) at least as wide as the picture (${Math.round(picture)} px)`);
  return { size: l.widths[0], layout: `${l.picturePlace} ${l.layout}`, font: l.legendFont };
}

for (const [width, height] of [
  [1280, 720],
  [1024, 768],
]) {
  test(`${width}×${height}: everything fits; large type makes the maps larger`, async (t) => {
    const { page, context, seen } = await openPage(browser, server.url, { viewport: { width, height } });
    const sizes = { normal: {}, large: {} };
    for (const mode of ["normal", "large"]) {
      if (mode === "large") await press(page, "l");
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains("large")), mode === "large");
      await press(page, "1");
      for (const norm of ["shared", "map", "raw"]) {
        await setNorm(page, norm);
        sizes[mode][norm] = await checkExplain(page, `${width}×${height} ${mode} ${norm}`);
        await shot(page, `${width}x${height}_${mode}_explain_${norm}`);
      }
      await setNorm(page, "shared");
      await press(page, "2");
      let s = await pageScroll(page);
      assert.ok(s.y <= 0 && s.x <= 0, `${mode} Feature maps scroll (${s.y}, ${s.x})`);
      await shot(page, `${width}x${height}_${mode}_features`);
      await press(page, "4");
      const steps = await page.$$eval("#view-teach .dots button", (b) => b.length);
      for (let step = 0; step < steps; step++) {
        s = await pageScroll(page);
        assert.ok(s.y <= 0 && s.x <= 0, `${mode} How it works step ${step + 1} scrolls (${s.y}, ${s.x})`);
        await shot(page, `${width}x${height}_${mode}_teach_${step + 1}`);
        await press(page, "ArrowRight");
      }
      for (let step = 0; step < steps; step++) await page.keyboard.press("ArrowLeft");
      await press(page, "3");
      s = await pageScroll(page);
      assert.ok(s.x <= 0, `${mode} Compare scrolls sideways (${s.x})`);
      await shot(page, `${width}x${height}_${mode}_compare`);
    }
    for (const norm of ["shared", "map", "raw"]) {
      const [n, l] = [sizes.normal[norm], sizes.large[norm]];
      t.diagnostic(`${norm}: maps ${n.size} px (${n.layout}) -> large type ${l.size} px (${l.layout})`);
      assert.ok(l.size >= n.size * 1.05, `${norm}: large type makes the maps larger (${n.size} -> ${l.size} px)`);
      assert.ok(l.font >= n.font * 1.15, `${norm}: the legend's canvas text grows with large type (${n.font} -> ${l.font} px)`);
      assert.ok(n.size >= 0.9 * sizes.normal.shared.size, `${norm}: no normalisation shrinks the maps (${n.size} vs ${sizes.normal.shared.size})`);
    }
    assert.deepEqual(seen.errors, []);
    await context.close();
  });
}

// Issue 9: more methods than the two default ones still fit (four rows: the maps go to one
// row per class, the methods side by side), the pickers open inside the window, and a fused
// view adds a row.
test("four methods and a fused view fit at 1280×720 and 1024×768; the pickers open inside the window", async (t) => {
  for (const [width, height] of [
    [1280, 720],
    [1024, 768],
  ]) {
    const { page, context, seen } = await openPage(browser, server.url, { viewport: { width, height } });
    for (const [picker, inputs] of [
      ["#methods-picker", ['input[data-method="gradcampp"]', 'input[data-method="guidedbackprop"]']],
      ["#fuse-picker", []],
    ]) {
      await page.click(`${picker} summary`);
      const box = await page.locator(`${picker} .picker-panel`).boundingBox();
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height, `${picker} opens inside the ${width}×${height} window (${JSON.stringify(box)})`);
      for (const i of inputs) await page.check(`${picker} ${i}`);
      await page.keyboard.press("Escape");
      await idle(page);
    }
    let l = await explainLayout(page);
    assert.ok(l.scrollY <= 0 && l.scrollX <= 0, `${width}×${height}, four methods: the page scrolls (${l.scrollY}, ${l.scrollX}; tried ${l.tried})`);
    assert.equal(l.widths.length, 8);
    assert.equal(new Set(l.widths).size, 1);
    assert.ok(l.widths[0] >= 100, `four methods: maps of ${l.widths[0]} px`);
    t.diagnostic(`${width}×${height}, four methods: ${l.widths[0]} px (${l.picturePlace} ${l.layout}; tried ${l.tried})`);
    // Fuse the last conv with the layer before it: a fifth row.
    const layers = await page.$$eval("#fuse-panel input[data-layer]", (is) => is.slice(0, 2).map((i) => i.dataset.layer));
    await page.click("#fuse-picker summary");
    for (const v of layers) await page.check(`#fuse-panel input[data-layer="${v}"]`);
    await page.keyboard.press("Escape");
    await idle(page);
    l = await explainLayout(page);
    assert.equal(l.widths.length, 10, "a fused row");
    assert.ok(l.scrollX <= 0, "never sideways");
    t.diagnostic(`${width}×${height}, four methods + fused: ${l.widths[0]} px (${l.layout}${l.scrollY > 0 ? ", scrolls" : ""}; tried ${l.tried})`);
    assert.deepEqual(seen.errors, []);
    await context.close();
  }
});
