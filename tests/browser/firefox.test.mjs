// The page in a second browser: Debian's firefox-esr over WebDriver BiDi (firefox.mjs). The
// same checks as the Chromium tests' core: HTTP and file:// loads with no console error and no
// foreign request, the three samples with drawn maps, a picked and a dropped picture, bad
// pictures' messages, and the page's raw maps against the CLI's .npy files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  startServer, idle, lastMaps, message, mapCanvases, relError, encodePng, testPicture, cliMaps, existsSync,
  CLI, WEB, FILE_URL, MAP_LAYERS, MAP_METHODS, MAP_TOLERANCE,
} from "./helpers.mjs";
import { launchFirefox, openFirefoxPage, firefoxMissing } from "./firefox.mjs";

const skip = firefoxMissing;
const noCli = skip || (!existsSync(CLI) && `the CLI is not built (${CLI})`);
const TIMEOUT = { timeout: 180000 };

let ff;
let server;
let out;
before(async () => {
  if (skip) return;
  out = mkdtempSync(join(tmpdir(), "camscope-firefox-test-"));
  server = await startServer();
  ff = await launchFirefox();
});
after(async () => {
  if (ff) await ff.close();
  if (server) await server.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

const local = (u) => u.startsWith("blob:") || u.startsWith("data:");

// The page started in a worker with the SIMD core and drew a verdict; no console errors.
async function basics(t, page, seen, where) {
  const d = await page.evaluate(() => ({
    error: window.camscopeDebug.error,
    mode: window.camscopeDebug.mode,
    simd: window.camscopeDebug.simd,
    firstMapMs: window.camscopeDebug.firstMapMs,
    timings: window.camscopeDebug.state.timings,
    verdict: document.querySelector("[data-testid=verdict]")?.textContent,
  }));
  assert.equal(d.error, null);
  assert.equal(d.mode, "worker", "the core runs in a Web Worker");
  assert.equal(d.simd, true, "Firefox has WebAssembly SIMD");
  assert.match(d.verdict || "", /^(cat|dog)/);
  assert.deepEqual(seen.errors, [], "no console errors");
  t.diagnostic(
    `${ff.version}, ${where}: first map ${Math.round(d.firstMapMs)} ms after navigation; forward ` +
      `${d.timings.forwardMs.toFixed(1)} ms, backward ${d.timings.backwardMs.toFixed(1)} ms, maps ${d.timings.mapsMs.toFixed(2)} ms`,
  );
}

// Every view by its key, back with the arrows, and the last layer: exercises the page.
async function tour(page) {
  for (const key of ["2", "3", "4", "\uE014", "\uE014", "1"]) {
    await page.press(key);
    await idle(page);
  }
  await page.evaluate(() => {
    const s = document.querySelector("#layer");
    s.value = s.options[s.options.length - 1].value;
    s.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await idle(page);
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.view), "explain", "the keys moved through the views and back");
}

// Chooses a layer by name in the layer picker, as a person would (a change event).
async function chooseLayer(page, name) {
  await page.evaluate((n) => {
    const s = document.querySelector("#layer");
    s.value = String(window.camscopeDebug.state.model.info.layers.findIndex((l) => l.name === n));
    s.dispatchEvent(new Event("change", { bubbles: true }));
  }, name);
  await idle(page);
}

// Writes bytes to a file named `name` (its own folder, so names can repeat) and returns its path.
function fileNamed(name, bytes) {
  const dir = mkdtempSync(join(out, "f-"));
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

test("Firefox: loads over HTTP, no console errors, no request but to its own server", { skip, ...TIMEOUT }, async (t) => {
  const { page, seen } = await openFirefoxPage(ff, server.url);
  await basics(t, page, seen, "HTTP");
  assert.ok(seen.requests.includes(`${server.origin}/camscope_page.js`), "the recorder sees the page's requests");
  const foreign = seen.requests.filter((u) => !u.startsWith(`${server.origin}/`) && !local(u));
  assert.deepEqual(foreign, [], "only the page's own server is asked");
  const asked = server.requests.length;
  const seenBefore = seen.requests.length;
  await tour(page);
  assert.equal(server.requests.length, asked, "nothing is requested after load");
  assert.deepEqual(seen.requests.slice(seenBefore).filter((u) => !local(u)), []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("Firefox: works from file:// (blob worker, inline weights), no console errors", { skip, ...TIMEOUT }, async (t) => {
  const { page, seen } = await openFirefoxPage(ff, FILE_URL);
  await basics(t, page, seen, "file://");
  // Firefox reports no network events for file:// reads; any http(s) or other request would be.
  const foreign = seen.requests.filter((u) => !u.startsWith("file://") && !local(u));
  assert.deepEqual(foreign, [], "nothing but files beside the page");
  const resources = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
  assert.deepEqual(resources.filter((u) => !u.startsWith("file://") && !local(u)), []);
  await tour(page);
  assert.deepEqual(seen.requests.filter((u) => !local(u)), [], "nothing is asked after load");
  const m = await lastMaps(page);
  assert.ok(m.shape[1] >= 1);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("Firefox: each sample picture, a prediction and drawn, non-blank maps", { skip, ...TIMEOUT }, async (t) => {
  const { page, seen } = await openFirefoxPage(ff, server.url);
  for (const name of ["both.png", "cat.jpg", "dog.jpg"]) {
    await page.click(`button[data-sample="${name}"]`);
    await page.waitFor((n) => window.camscopeDebug.lastMaps.pictureName === n, name, { timeoutMs: 30000, what: `${name} shown` });
    await idle(page);
    const m = await lastMaps(page);
    assert.deepEqual(m.shape, [256, 13, 13]);
    const p = m.prediction.probabilities;
    assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-5, "probabilities add up to 1");
    if (name !== "both.png") assert.equal(m.prediction.predicted, name === "cat.jpg" ? 0 : 1, `${name} is recognised`);
    const { stats, diff } = await mapCanvases(page);
    assert.deepEqual(Object.keys(stats).sort(), ["gradcam|0", "gradcam|1", "layercam|0", "layercam|1"]);
    for (const [k, s] of Object.entries(stats)) assert.ok(s.std > 8, `${name} ${k} is not blank (std ${s.std.toFixed(1)})`);
    for (const method of MAP_METHODS) assert.ok(diff[method] > 2, `${name} ${method}: the classes' maps differ`);
    // And on screen, not only in the canvas: a screenshot of the first map has structure.
    const shot = await page.screenshot("#view-explain canvas[data-method]");
    let lo = 255;
    let hi = 0;
    for (let i = 0; i < shot.rgba.length; i += 4) {
      const v = (shot.rgba[i] + shot.rgba[i + 1] + shot.rgba[i + 2]) / 3;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(shot.width > 50 && hi - lo > 64, `${name}: the screenshot shows a map (${shot.width} px, range ${lo}-${hi})`);
    t.diagnostic(`${name}: ${["cat", "dog"][m.prediction.predicted]} ${(100 * Math.max(...p)).toFixed(2)} %`);
  }
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("Firefox: a picked picture and a dropped picture are explained", { skip, ...TIMEOUT }, async () => {
  const { page, seen } = await openFirefoxPage(ff, FILE_URL);
  await page.setFiles("#file", [fileNamed("my cat.jpg", readFileSync(join(WEB, "samples", "cat.jpg")))]);
  await page.waitFor(() => window.camscopeDebug.lastMaps.pictureName === "my cat.jpg", null, { timeoutMs: 30000, what: "picked picture" });
  await idle(page);
  assert.equal((await lastMaps(page)).prediction.predicted, 0, "the cat is a cat");
  const png = encodePng(64, 48, testPicture(64, 48));
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], "dropped.png", { type: "image/png" }));
    document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [...png]);
  await page.waitFor(() => window.camscopeDebug.lastMaps.pictureName === "dropped.png", null, { timeoutMs: 30000, what: "dropped picture" });
  await idle(page);
  const m = await lastMaps(page);
  assert.deepEqual([m.width, m.height], [64, 48]);
  assert.equal(await message(page), null);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("Firefox: non-pictures, truncated and broken pictures get a message", { skip, ...TIMEOUT }, async () => {
  const { page } = await openFirefoxPage(ff, FILE_URL);
  const cat = readFileSync(join(WEB, "samples", "cat.jpg"));
  const before = (await lastMaps(page)).pictureName;
  const cases = [
    ["notes.txt", Buffer.from("these are not pixels\n"), /not a picture/],
    ["half.jpg", cat.subarray(0, cat.length >> 1), /truncated/],
    ["broken.png", encodePng(40, 30, new Uint8Array(3600), { idat: Buffer.from("not zlib data at all") }), /could not be decoded|damaged/],
    ["huge.png", encodePng(40000, 40000, new Uint8Array(0), { idat: Buffer.alloc(8) }), /too large/],
  ];
  for (const [name, bytes, expected] of cases) {
    const count = await page.evaluate(() => window.camscopeDebug.messages.length);
    await page.setFiles("#file", [fileNamed(name, bytes)]);
    await page.waitFor((n) => window.camscopeDebug.messages.length > n, count, { timeoutMs: 30000, what: `${name}: a message` });
    await idle(page);
    const m = await message(page);
    assert.ok(m, `${name}: a message`);
    assert.equal(m.kind, "error", name);
    assert.match(m.text, expected, name);
    assert.ok(m.text.includes(name), `${name}: the message names the file`);
    assert.equal((await lastMaps(page)).pictureName, before, `${name}: the previous picture stays`);
  }
  await page.close();
});

// The page's maps in Firefox against the CLI's, at every layer kind, for the sample PNG and a
// PNG of the user's (PNG decoding is exact, so only the arithmetic could differ).
test("Firefox: page maps == CLI maps (sample PNG and a picked PNG)", { skip: noCli, ...TIMEOUT }, async (t) => {
  const file = fileNamed("made_up.png", encodePng(301, 203, testPicture(301, 203)));
  const { page, seen } = await openFirefoxPage(ff, FILE_URL);
  const classes = await page.evaluate(() => window.camscopeDebug.state.model.info.classes);
  let worst = 0;
  for (const [name, path] of [["both.png", join(WEB, "samples", "both.png")], ["made_up.png", file]]) {
    const reference = cliMaps(path, classes, out);
    if (name === "both.png") await page.click('button[data-sample="both.png"]');
    else await page.setFiles("#file", [path]);
    await page.waitFor((n) => window.camscopeDebug.lastMaps.pictureName === n, name, { timeoutMs: 30000, what: `${name} shown` });
    await idle(page);
    if (name === "made_up.png") {
      // Firefox hands the core exactly the PNG's pixels, at their own size.
      const rgb = testPicture(301, 203);
      const mismatches = await page.evaluate((expected) => {
        const p = window.camscopeDebug.state.pictures.find((q) => q.name === "made_up.png");
        if (p.width !== 301 || p.height !== 203) return -1;
        let bad = 0;
        for (let i = 0; i < expected.length / 3; i++) for (let k = 0; k < 3; k++) if (p.rgba[4 * i + k] !== expected[3 * i + k]) bad++;
        return bad;
      }, [...rgb]);
      assert.equal(mismatches, 0, "decoded pixels are the PNG's own");
    }
    let worstHere = 0;
    for (const layer of MAP_LAYERS) {
      await chooseLayer(page, layer);
      const m = await lastMaps(page);
      assert.equal(m.pictureName, name);
      assert.equal(m.layerName, layer);
      for (const method of MAP_METHODS) {
        m.maps[method].forEach((map, c) => {
          const ref = reference[layer][method][c];
          assert.deepEqual(ref.shape, m.shape.slice(1), `${layer} ${method} ${c}: shape`);
          const e = relError(map, ref.data);
          worstHere = Math.max(worstHere, e);
          assert.ok(e < MAP_TOLERANCE, `${name} ${layer} ${method} class ${c}: relative error to the CLI ${e}`);
        });
      }
    }
    worst = Math.max(worst, worstHere);
    t.diagnostic(`${name}: worst relative difference to the CLI ${worstHere.toExponential(2)} over ${MAP_LAYERS.join(", ")}`);
  }
  t.diagnostic(`Firefox vs CLI, worst of all maps: ${worst.toExponential(2)} (tolerance ${MAP_TOLERANCE})`);
  assert.deepEqual(seen.errors, []);
  await page.close();
});
