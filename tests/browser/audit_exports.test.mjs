// Issue 13, points 1 and 4: every "Save PNG" downloads (Compare's "Grad-CAM vs Layer-CAM"
// table used to throw), and every exported PNG pastes into a report unedited: it says the
// picture, class, method, layer with its grid size, normalisation and carries a colour scale
// (checked in the saved file's pixels against the page's colour table); texts are shortened
// with an ellipsis, never drawn outside the figure or over a picture; the feature grid's
// export numbers its channels and says each tile is scaled on its own; file names are
// descriptive and unique. With CAMSCOPE_SHOTS=DIR set, every saved figure is kept there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { launch, startServer, openPage, idle, encodePng, testPicture } from "./helpers.mjs";
import { press, pngPixels, overlaps } from "./audit_helpers.mjs";

let browser;
let server;
let page;
let context;
let seen;
const names = [];
before(async () => {
  browser = await launch();
  server = await startServer();
  ({ page, context, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } }));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

// Triggers a download; returns its name, bytes and the figure record the page kept.
async function save(trigger) {
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 15000 }), trigger()]);
  const bytes = await readFile(await download.path());
  const kept = await page.evaluate(() => window.camscopeDebug.lastExport);
  assert.equal(kept.name, download.suggestedFilename());
  names.push(download.suggestedFilename());
  // CAMSCOPE_SHOTS=DIR keeps a copy of every saved figure, to look at.
  if (process.env.CAMSCOPE_SHOTS) {
    await mkdir(process.env.CAMSCOPE_SHOTS, { recursive: true });
    await writeFile(join(process.env.CAMSCOPE_SHOTS, download.suggestedFilename()), bytes);
  }
  return { name: download.suggestedFilename(), bytes, figure: kept.figure };
}

// The figure's texts all inside it and clear of its pictures; its legends drawn in the
// colour table in use (read back from the saved PNG); every pattern found in its texts.
async function checkFigure({ name, bytes, figure }, patterns, { scale = true } = {}) {
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${name}: a PNG`);
  const all = figure.texts.map((t) => t.text).join("\n");
  for (const p of patterns) assert.match(all, p, `${name}: says ${p}`);
  for (const t of figure.texts) {
    assert.ok(t.x >= 0 && t.y >= 0 && t.x + t.w <= figure.width + 0.5 && t.y + t.h <= figure.height + 0.5, `${name}: “${t.text}” lies inside the figure`);
    for (const img of figure.images) assert.ok(!overlaps(t, img), `${name}: “${t.text}” is not drawn over a picture`);
  }
  if (!scale) return all;
  assert.ok(figure.legends.length >= 1, `${name}: a colour scale`);
  // A key of swatches: each swatch in the saved file has its colour.
  const keys = figure.legends.filter((g) => g.colour);
  if (keys.length) {
    const got = await pngPixels(page, bytes, keys.map((g) => [Math.round(g.x + g.w / 2), Math.round(g.y + g.h / 2)]));
    keys.forEach((g, i) => assert.deepEqual(got.points[i].slice(0, 3), [1, 3, 5].map((k) => parseInt(g.colour.slice(k, k + 2), 16)), `${name}: swatch ${g.colour}`));
  }
  const lut = await page.evaluate(() => Array.from(window.camscopeDebug.state.model.luts[window.camscopeDebug.state.cmap]));
  const probes = figure.legends.filter((g) => !g.colour).flatMap((g) => [0.02, 0.5, 0.98].map((f) => [Math.round(g.x + f * (g.w - 1)), Math.round(g.y + g.h / 2), (Math.round(g.x + f * (g.w - 1)) - g.x) / (g.w - 1)]));
  const png = await pngPixels(page, bytes, probes.map(([x, y]) => [x, y]));
  assert.deepEqual([png.width, png.height], [figure.width, figure.height], `${name}: the PNG is the figure`);
  probes.forEach(([, , t], i) => {
    const k = Math.round(t * 255);
    const want = [lut[3 * k], lut[3 * k + 1], lut[3 * k + 2]];
    const got = png.points[i].slice(0, 3);
    assert.ok(want.every((v, c) => Math.abs(v - got[c]) <= 3), `${name}: legend colour at ${t.toFixed(2)} is ${got} (table ${want})`);
  });
  return all;
}

test("Explain exports say picture, classes, methods, layer and grid, normalisation, colours", async () => {
  const shot = await save(() => page.keyboard.press("s"));
  assert.equal(shot.name, "camscope_explain_both_features.14-13x13_gradcam+layercam_all-classes_shared.png");
  await checkFigure(shot, [/both\.png/, /\bcat\b/, /\bdog\b/, /Grad-CAM/, /Layer-CAM/, /features\.14 13×13/, /normalised shared/, /colours Viridis/, /knows only cat and dog/]);
  // another layer, another normalisation: another name, and its grid in the labels
  const avgpool = await page.evaluate(() => window.camscopeDebug.state.model.info.layers.findIndex((l) => l.name === "avgpool"));
  await page.selectOption("#layer", String(avgpool));
  await page.click('#norm input[value="map"]', { force: true });
  await idle(page);
  const pooled = await save(() => page.click("#view-explain .view-head button"));
  assert.equal(pooled.name, "camscope_explain_both_avgpool-6x6_gradcam+layercam_all-classes_map.png");
  await checkFigure(pooled, [/avgpool 6×6/, /per map/, /each map's peak/]);
  await page.selectOption("#layer", String(await page.evaluate(() => window.camscopeDebug.state.model.info.layers.findIndex((l) => l.name === "features.14"))));
  await page.click('#norm input[value="shared"]', { force: true });
  await idle(page);
});

test("Compare: every table saves (the side-by-side one too), each under its own name", async () => {
  await press(page, "3");
  const buttons = await page.$$eval("#view-compare button[aria-label^='Save PNG']", (bs) => bs.map((b) => b.getAttribute("aria-label")));
  assert.equal(new Set(buttons).size, buttons.length, `the Save buttons have distinct names: ${buttons.join(" | ")}`);
  assert.equal(buttons.length, 4);
  const tables = await page.$$("#view-compare .table-card");
  assert.equal(tables.length, 3);
  const expected = [
    ["camscope_compare_gradcam_all-classes_features.14-13x13_3-pictures_shared.png", [/Grad-CAM/, /classes: cat, dog/]],
    ["camscope_compare_layercam_all-classes_features.14-13x13_3-pictures_shared.png", [/Layer-CAM/, /classes: cat, dog/]],
    ["camscope_compare_gradcam-vs-layercam_predicted-class_features.14-13x13_3-pictures_shared.png", [/Grad-CAM vs Layer-CAM/, /predicted class/, /predicted (cat|dog)/]],
  ];
  for (let i = 0; i < 3; i++) {
    const shot = await save(() => tables[i].$("header button").then((b) => b.click()));
    assert.equal(shot.name, expected[i][0]);
    await checkFigure(shot, [...expected[i][1], /both\.png/, /cat\.jpg/, /dog\.jpg/, /features\.14 13×13/, /shared/, /Viridis/]);
  }
  const whole = await save(() => page.keyboard.press("s"));
  assert.equal(whole.name, "camscope_compare_all-3-tables_features.14-13x13_3-pictures_shared.png");
  await checkFigure(whole, [/Grad-CAM vs Layer-CAM/, /dog\.jpg/]);
  assert.deepEqual(seen.errors, [], "no page errors (the old side-by-side export threw)");
});

test("Feature maps export: numbered channels, each tile scaled on its own", async () => {
  await press(page, "2");
  const shot = await save(() => page.keyboard.press("s"));
  const channel = (await page.textContent("#view-features .channel-card h3")).replace("Channel ", "");
  assert.equal(shot.name, `camscope_features_both_features.14-13x13_by-gradcam-weight-dog_channel-${channel}_per-tile.png`);
  await checkFigure(shot, [/each tile is scaled on its own/, /number in a tile's corner is its channel/, /features\.14 13×13/, /Grad-CAM weight for dog/, /both\.png/]);
  // The numbers' dark label boxes sit in the tiles' corners in the saved file.
  const corners = shot.figure.numbers.slice(0, 20).map((n) => [Math.round(n.x + 1), Math.round(n.y + 1)]);
  const png = await pngPixels(page, shot.bytes, corners);
  for (const [i, px] of png.points.entries()) assert.ok(Math.max(...px.slice(0, 3)) < 90, `tile ${i}: the channel number's box (${px})`);
  assert.equal(shot.figure.numbers.length, 256);
});

test("How it works: every step saves under its own name, with class, layer and colour scale", async () => {
  await press(page, "4");
  // Step 1 shows the picture alone (it says so); step 3 a bar chart with its colour key; step
  // 8 (Score-CAM, not run yet) the picture and why; step 9 the RGB gradient pictures, said.
  const extra = [
    [/no map and no colour scale/], [/Grad-CAM/, /activation/], [/positive/, /negative/], [/Grad-CAM/], [/Grad-CAM/, /Layer-CAM/],
    [/Grad-CAM\+\+/, /Grad-CAM,/], [/Eigen-CAM/], [/Score-CAM has not run/], [/Guided Grad-CAM/, /grey is the average gradient/],
    [/XGrad-CAM/, /HiResCAM/, /Eigen-Grad-CAM/, /against the class/], [/Grad-CAM/],
  ];
  const steps = await page.$$eval("#view-teach .dots button", (b) => b.length);
  assert.equal(steps, extra.length);
  for (let s = 0; s < steps; s++) {
    const shot = await save(() => page.keyboard.press("s"));
    assert.match(shot.name, new RegExp(`^camscope_how-it-works_step-${s + 1}-`));
    assert.match(shot.name, /_both_features\.14-13x13_dog/);
    await checkFigure(shot, [new RegExp(`step ${s + 1}`), /class dog/, /features\.14 13×13/, /both\.png/, ...extra[s]], { scale: s !== 0 && s !== 7 });
    await press(page, "ArrowRight");
  }
});

test("Explain and Compare with more methods: each figure names every method, the RGB pictures say how they read", async () => {
  await press(page, "1");
  await page.click("#methods-summary");
  for (const m of ["gradcampp", "guidedbackprop"]) await page.check(`#methods-panel input[data-method="${m}"]`);
  await page.keyboard.press("Escape");
  await idle(page);
  const shot = await save(() => page.keyboard.press("s"));
  assert.equal(shot.name, "camscope_explain_both_features.14-13x13_gradcam+layercam+gradcampp+guidedbackprop_all-classes_shared.png");
  await checkFigure(shot, [/Grad-CAM, Layer-CAM, Grad-CAM\+\+, Guided Backpropagation/, /Guided Backpropagation: grey is the average gradient/, /Grad-CAM\+\+ · cat/, /Guided Backpropagation · dog · max/, /features\.14 13×13/]);
  assert.equal(shot.figure.legends.length, 3, "a colour scale for each map method, none for the RGB picture");
  await press(page, "3");
  const tables = await page.$$("#view-compare .table-card");
  assert.equal(tables.length, 5, "a table per method and the side-by-side one");
  const guided = await save(() => tables[3].$("header button").then((b) => b.click()));
  assert.equal(guided.name, "camscope_compare_guidedbackprop_all-classes_features.14-13x13_3-pictures_shared.png");
  await checkFigure(guided, [/Guided Backpropagation/, /grey is the average gradient/, /max \|gradient\|/], { scale: false });
  const vs = await save(() => tables[4].$("header button").then((b) => b.click()));
  assert.equal(vs.name, "camscope_compare_gradcam-vs-layercam-vs-gradcampp-vs-guidedbackprop_predicted-class_features.14-13x13_3-pictures_shared.png");
  await checkFigure(vs, [/Grad-CAM vs Layer-CAM vs Grad-CAM\+\+ vs Guided Backpropagation/, /predicted (cat|dog)/]);
  await page.click("#methods-summary");
  for (const m of ["gradcampp", "guidedbackprop"]) await page.uncheck(`#methods-panel input[data-method="${m}"]`);
  await page.keyboard.press("Escape");
  await idle(page);
});

test("long picture names are shortened with an ellipsis, in the figure and the file name", async () => {
  const long = "holiday photo from the camera roll of a very long trip to the mountains and the sea, copy 3 (edited).png";
  await page.setInputFiles("#file", { name: long, mimeType: "image/png", buffer: encodePng(120, 90, testPicture(120, 90)) });
  await idle(page);
  await press(page, "1");
  const shot = await save(() => page.keyboard.press("s"));
  const all = await checkFigure(shot, [/…/]);
  assert.ok(all.includes("…") && shot.figure.texts[0].text.endsWith("…"), `the title is shortened: ${shot.figure.texts[0].text}`);
  const stem = shot.name.split("_")[2];
  assert.ok(stem.endsWith("…") && stem.length <= 32, `the file name's picture part is shortened: ${stem}`);
  await press(page, "3");
  const table = await save(() => page.click("#view-compare .table-card header button"));
  await checkFigure(table, [/…/]);
  assert.ok(table.figure.texts.some((t) => t.x === 16 && t.text.endsWith("…")), "the row label is shortened");
});

test("every saved file has its own name", async () => {
  assert.equal(new Set(names).size, names.length, names.join("\n"));
  assert.deepEqual(seen.errors, []);
  await context.close();
});
