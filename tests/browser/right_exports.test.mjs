// Issue 10, the exports of "Is it right?": each part's PNG is report-ready (picture, class,
// method, layer, baselines, steps, model name, the numbers shown, the random map's beside
// them; texts inside the figure and clear of its pictures); the lab table's CSV and JSON carry
// the model's name and the weights file's SHA-256 and CRC-32 (checked against Node's), the
// layer, methods, normalisation and every metric's definition, and the same numbers as the
// page; the ROAD command the page prints runs in the CLI. crypto.subtle (SHA-256) works in a
// page opened from file:// too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, startServer, openPage, idle, ROOT, CLI, SHIPPED_WEIGHTS, FILE_URL, existsSync } from "./helpers.mjs";
import { overlaps } from "./audit_helpers.mjs";
import { openRight, parseCsv } from "./right_helpers.mjs";

let browser;
let server;
let page;
let context;
let seen;
let out;
const WEIGHTS = readFileSync(SHIPPED_WEIGHTS);
const SHA256 = createHash("sha256").update(WEIGHTS).digest("hex");

// CRC-32 (zlib's polynomial), written here independently of the page's.
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (~c >>> 0).toString(16).padStart(8, "0");
}
const CRC = crc32(WEIGHTS);

before(async () => {
  browser = await launch();
  server = await startServer();
  out = mkdtempSync(join(tmpdir(), "camscope-right-exports-"));
  ({ page, context, seen } = await openPage(browser, `${server.url}?picture=both.png`, { viewport: { width: 1280, height: 800 } }));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

async function download(trigger) {
  const [d] = await Promise.all([page.waitForEvent("download", { timeout: 15000 }), trigger()]);
  const bytes = readFileSync(await d.path());
  if (process.env.CAMSCOPE_SHOTS) {
    mkdirSync(process.env.CAMSCOPE_SHOTS, { recursive: true });
    writeFileSync(join(process.env.CAMSCOPE_SHOTS, d.suggestedFilename()), bytes);
  }
  return { name: d.suggestedFilename(), bytes };
}

// A saved PNG figure: a PNG the size of the figure, every text inside it and off its pictures,
// and every pattern somewhere in its texts. Returns all its text.
async function checkPng(shot, patterns, { images = true } = {}) {
  const kept = await page.evaluate(() => window.camscopeDebug.lastExport);
  assert.equal(kept.name, shot.name);
  const figure = kept.figure;
  assert.deepEqual([...shot.bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${shot.name}: a PNG`);
  assert.deepEqual([shot.bytes.readUInt32BE(16), shot.bytes.readUInt32BE(20)], [figure.width, figure.height], `${shot.name}: the figure's size`);
  if (images) assert.ok(figure.images.length >= 1, `${shot.name}: pictures`);
  for (const t of figure.texts) {
    assert.ok(t.x >= 0 && t.y >= 0 && t.x + t.w <= figure.width + 0.5 && t.y + t.h <= figure.height + 0.5, `${shot.name}: “${t.text}” inside the figure`);
    for (const img of figure.images) assert.ok(!overlaps(t, img), `${shot.name}: “${t.text}” not over a picture`);
  }
  const all = figure.texts.map((t) => t.text).join("\n");
  for (const p of patterns) assert.match(all, p, `${shot.name}: says ${p}`);
  return all;
}

function esc(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

test("This picture: the PNG says picture, classes, methods, layer, baselines, steps, model and the numbers", async () => {
  await openRight(page, { steps: 10 });
  const rows = await page.evaluate(() => window.camscopeDebug.right.picture.rows.map((r) => ({ method: r.method, cls: r.cls, del: r.deletionAuc.toFixed(3), ins: r.insertionAuc.toFixed(3), drop: `${(100 * r.confidence.drop).toFixed(1)} %` })));
  assert.equal(rows.length, 6);
  const shot = await download(() => page.keyboard.press("s"));
  assert.equal(shot.name, "camscope_right_both_features.14-13x13_gradcam+layercam_all-classes_10-steps_zero-blur.png");
  const text = await checkPng(shot, [
    /both\.png/, /Grad-CAM · cat/, /Grad-CAM · dog/, /Layer-CAM · cat/, /Layer-CAM · dog/, /layer features\.14 13×13/, /deletion baseline: zero/,
    /insertion baseline: blurred picture/, /10 steps/, /model camscope_catsdogs_int8\.csw/, /random map/, /relative drop/, /absolute drop/,
    /ROAD is computed by the command line only/, /camscope evaluate/,
  ]);
  const model = await page.evaluate(() => window.camscopeDebug.state.model.info.name);
  assert.match(text, new RegExp(`model ${esc(model)} \\(camscope_catsdogs_int8\\.csw\\)`));
  const random = rows.filter((r) => r.method === "random");
  for (const r of rows.filter((x) => x.method !== "random")) {
    const rnd = random.find((x) => x.cls === r.cls);
    assert.match(text, new RegExp(`Deletion AUC ${esc(r.del)} \\(random map ${esc(rnd.del)}\\)`));
    assert.match(text, new RegExp(`Insertion AUC ${esc(r.ins)} \\(random map ${esc(rnd.ins)}\\)`));
    assert.match(text, new RegExp(`Drop in confidence ${esc(r.drop)} \\(random map ${esc(rnd.drop)}\\)`));
  }
  const legends = await page.evaluate(() => window.camscopeDebug.lastExport.figure.legends.map((g) => g.label));
  assert.deepEqual(legends.length, 3, `a key to the curves: ${legends}`);
});

test("Sanity check: the PNG shows every step's node and ρ and each method's verdict", async () => {
  await page.click('#view-right .right-parts button[data-part="sanity"]');
  await idle(page);
  const d = await page.evaluate(() => JSON.parse(JSON.stringify(window.camscopeDebug.right.sanity)));
  const shot = await download(() => page.keyboard.press("s"));
  assert.match(shot.name, /^camscope_right-sanity_both_(cat|dog)_features\.14-13x13_gradcam\+layercam\.png$/);
  const text = await checkPng(shot, [/Sanity check/, /cascading randomisation/, /Spearman/, /Adebayo/, /class (cat|dog)/, /model camscope_catsdogs_int8\.csw/, /features\.14 13×13/]);
  for (const node of d.nodes) assert.ok(text.includes(node), `names ${node}`);
  for (const m of ["Grad-CAM", "Layer-CAM"]) assert.match(text, new RegExp(`${m} (passes|FAILS)`));
  const rho = (r) => (r === null ? "–" : r < 0 ? `−${(-r).toFixed(2)}` : r.toFixed(2));
  for (const [, rhos] of Object.entries(d.rho)) for (const r of rhos) assert.ok(text.includes(`ρ = ${rho(r)}`), `ρ ${r}`);
  const images = await page.evaluate(() => window.camscopeDebug.lastExport.figure.images.length);
  assert.equal(images, 1 + 2 * (d.nodes.length + 1), "the ρ chart, then each method's original and one map per step");
});

test("Over the pictures: CSV and JSON carry model, hash, layer, methods, normalisation, definitions and the numbers; so does the PNG", async () => {
  await page.click('#view-right .right-parts button[data-part="set"]');
  await idle(page);
  await page.click("#view-right button.run");
  await idle(page);
  const set = await page.evaluate(() => JSON.parse(JSON.stringify(window.camscopeDebug.right.set)));
  assert.equal(set.rows.length, 9, "3 pictures x (2 methods + the random map)");
  const model = await page.evaluate(() => window.camscopeDebug.state.model.info.name);

  const csvFile = await download(() => page.click('#view-right button[data-focus="csv"]'));
  assert.equal(csvFile.name, "camscope_right_table_3-pictures_features.14-13x13_gradcam+layercam_10-steps_zero-blur.csv");
  const csvText = csvFile.bytes.toString("utf8");
  const comments = csvText.split("\n").filter((l) => l.startsWith("#")).join("\n");
  assert.match(comments, new RegExp(`model: ${esc(model)}; weights file: camscope_catsdogs_int8\\.csw \\(${WEIGHTS.length} bytes, CRC-32 ${CRC}, SHA-256 ${SHA256}\\)`));
  assert.match(comments, /layer: features\.14 13×13; steps: 10; deletion baseline: zero; insertion baseline: blur; classes: predicted/);
  assert.match(comments, /# normalisation: /);
  for (const k of ["deletion", "insertion", "drop", "increase", "road", "random", "sanity"]) assert.match(comments, new RegExp(`^# ${k}: .*Reference: `, "m"), `defines ${k}`);
  assert.match(comments, /absolute drop/);
  const csv = parseCsv(csvText);
  const data = csv.filter((r) => !r.picture.startsWith("("));
  assert.equal(data.length, 9);
  for (const r of csv) {
    assert.equal(r.model, model);
    assert.equal(r.weights_sha256, SHA256);
    assert.equal(r.weights_crc32, CRC);
    assert.equal(r.layer, "features.14");
    assert.ok(r.normalisation.length > 0);
    assert.equal(r.steps, "10");
  }
  for (const r of set.rows) {
    const c = data.find((x) => x.picture === r.picture && x.method === r.method);
    assert.ok(c, `${r.picture} ${r.method}`);
    assert.ok(Math.abs(Number(c.deletion_auc) - r.deletionAuc) < 1e-12 && Math.abs(Number(c.drop) - r.drop) < 1e-12);
  }
  for (const m of ["gradcam", "layercam", "random"]) {
    const mean = csv.find((x) => x.picture === "(mean of 3)" && x.method === m);
    assert.ok(Math.abs(Number(mean.insertion_auc) - set.summary[m].insertion.mean) < 1e-12, `${m}: mean row`);
    assert.ok(csv.find((x) => x.picture === "(sd of 3)" && x.method === m), `${m}: sd row`);
  }

  const jsonFile = await download(() => page.click('#view-right button[data-focus="json"]'));
  assert.equal(jsonFile.name, csvFile.name.replace(/\.csv$/, ".json"));
  const doc = JSON.parse(jsonFile.bytes.toString("utf8"));
  assert.deepEqual({ ...doc.model, classes: undefined }, { name: model, weights_file: "camscope_catsdogs_int8.csw", bytes: WEIGHTS.length, crc32: CRC, sha256: SHA256, classes: undefined });
  assert.equal(doc.layer, "features.14");
  assert.equal(doc.layer_grid, "features.14 13×13");
  assert.equal(doc.steps, 10);
  assert.deepEqual(doc.methods.map((m) => m.name), ["gradcam", "layercam", "random"]);
  assert.ok(doc.normalisation.length > 20);
  assert.deepEqual(Object.keys(doc.definitions).sort(), ["deletion", "drop", "increase", "insertion", "random", "road", "sanity"]);
  for (const d of Object.values(doc.definitions)) assert.ok(d.definition && d.formula && d.reference, d.name);
  assert.equal(doc.rows.length, 9);
  assert.equal(doc.rows[0].deletion.length, 11);
  for (const m of ["gradcam", "layercam", "random"]) assert.ok(Math.abs(doc.summary[m].average_drop.mean - set.summary[m].drop.mean) < 1e-9);

  const shot = await download(() => page.keyboard.press("s"));
  assert.equal(shot.name, "camscope_right-table_3-pictures_features.14-13x13_gradcam+layercam_10-steps_zero-blur.png");
  const text = await checkPng(shot, [/3 pictures: mean ± sd per method/, new RegExp(`model ${esc(model)}`), /features\.14 13×13/, /10 steps/, /random map/, /both\.png · /, /cat\.jpg · /, /dog\.jpg · /], { images: false });
  for (const m of ["gradcam", "layercam", "random"]) {
    const s = set.summary[m];
    assert.ok(text.includes(`${s.deletion.mean.toFixed(3)} ± ${s.deletion.sd.toFixed(3)}`), `${m}: the mean deletion AUC`);
  }
  assert.deepEqual(seen.errors, []);
});

test("the ROAD command the page prints runs in the CLI (ROAD at one percentage, to keep it short)", { skip: !existsSync(CLI) && "no CLI" }, async () => {
  const cmd = await page.inputValue("#right-set-command");
  assert.match(cmd, /^camscope evaluate web\/samples\/both\.png web\/samples\/cat\.jpg web\/samples\/dog\.jpg --weights weights\/camscope_catsdogs_int8\.csw --layer features\.14 --method gradcam,layercam --class predicted --steps 10 --deletion-baseline zero --insertion-baseline blur --out camscope_out$/);
  const args = cmd.split(" ").slice(1).map((a, i, all) => (all[i - 1] === "--out" ? join(out, "road") : a));
  execFileSync(CLI, [...args, "--road", "50"], { cwd: ROOT, stdio: "pipe" });
  const doc = JSON.parse(readFileSync(join(out, "road", "evaluate.json"), "utf8"));
  assert.equal(doc.rows.length, 9);
  assert.ok(doc.rows.every((r) => r.road_morf.length === 1 && r.road_lerf.length === 1), "ROAD scores");
  await context.close();
});

test("from file:// too: the view computes, and the CSV carries the weights' SHA-256 (crypto.subtle)", async () => {
  const opened = await openPage(browser, `${FILE_URL}?picture=dog.jpg`, { viewport: { width: 1280, height: 800 } });
  page = opened.page;
  assert.equal(await page.evaluate(() => window.isSecureContext && !!crypto.subtle), true, "a secure context with crypto.subtle");
  await openRight(page, { steps: 10, part: "set" });
  await page.selectOption("#right-set-classes", "predicted");
  await page.click("#view-right button.run");
  await idle(page);
  assert.equal(await page.evaluate(() => window.camscopeDebug.right.set.rows.length), 9);
  const csv = await download(() => page.click('#view-right button[data-focus="csv"]'));
  assert.match(csv.bytes.toString("utf8"), new RegExp(`SHA-256 ${SHA256}\\)`));
  assert.deepEqual(opened.seen.errors, []);
  assert.deepEqual(opened.seen.requests.filter((u) => !u.startsWith("file://") && !u.startsWith("blob:") && !u.startsWith("data:") && !u.startsWith("worker:")), [], "no request");
  await opened.context.close();
});
