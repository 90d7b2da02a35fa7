// The live camera (issue 12) in Chromium's fake camera (--use-fake-device-for-media-stream,
// permission granted by --use-fake-ui-for-media-stream): over http on the loopback and from
// file://, frames arrive and their maps are drawn, the rate is measured (reported, not
// asserted: the machine is shared), Freeze makes a picture whose pixels are the frame's and
// whose maps equal the WebAssembly core's (run here in Node) on those pixels, stopping
// releases the tracks; refused permission, no camera and no mediaDevices get their note.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer, idle, lastMaps, CHROMIUM, FILE_URL, SHIPPED_WEIGHTS, pageCore } from "./helpers.mjs";
import { axeViolations } from "./audit_helpers.mjs";

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
const browsers = [];
let server;

async function launchWith(extra) {
  const b = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extra] });
  browsers.push(b);
  return b;
}

async function open(browser, url, init) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  if (init) await page.addInitScript(init);
  await page.goto(url);
  await page.waitForFunction(() => window.camscopeDebug && (window.camscopeDebug.ready || window.camscopeDebug.error), null, { timeout: 60000 });
  await idle(page);
  return { page, errors };
}

before(async () => {
  server = await startServer();
});
after(async () => {
  for (const b of browsers) await b.close();
  if (server) await server.close();
});

// The shipped model's maps on `rgba` with the core the page loads, run in Node.
async function coreMaps(rgba, width, height, layer, methods) {
  const core = await pageCore();
  const s = new core.Session();
  assert.equal(s.loadWeights(readFileSync(SHIPPED_WEIGHTS)), "");
  assert.equal(s.setPicture(rgba, width, height), "");
  const classes = JSON.parse(s.info()).classes;
  const maps = {};
  for (const m of methods) maps[m] = classes.map((_, c) => Array.from(s.cam(m, layer, c)));
  return { maps, probabilities: Array.from(s.probabilities()) };
}

// Runs the camera for `seconds`: frames counted, the rate, and the worker's median ms a frame.
async function measure(page, seconds) {
  const a = await page.evaluate(() => ({ frames: window.camscopeDebug.camera.frames, t: performance.now() }));
  await page.waitForTimeout(seconds * 1000);
  const b = await page.evaluate(() => ({ frames: window.camscopeDebug.camera.frames, t: performance.now(), ms: window.camscopeDebug.camera.frameMs }));
  const ms = b.ms.slice().sort((x, y) => x - y);
  return { frames: b.frames - a.frames, fps: (1000 * (b.frames - a.frames)) / (b.t - a.t), medianMs: ms[ms.length >> 1] };
}

async function liveChecks(t, page, where) {
  await page.click("#camera-open");
  await page.waitForFunction(() => window.camscopeDebug.camera.frames >= 5 || window.camscopeDebug.camera.problem, null, { timeout: 30000 });
  const problem = await page.evaluate(() => window.camscopeDebug.camera.problem);
  assert.equal(problem, null, `${where}: the camera starts (${problem && problem.text})`);
  const last = await page.evaluate(() => {
    const l = window.camscopeDebug.camera.last;
    return { width: l.width, height: l.height, shape: l.result.shape, max: Math.max(...l.result.map), layer: l.result.layer };
  });
  assert.ok(last.width > 0 && last.height > 0);
  assert.equal(last.layer, await page.evaluate(() => window.camscopeDebug.state.layer), "the page's layer");
  // the live canvas shows a picture with a map over it: not one flat colour
  const spread = await page.evaluate(() => {
    const c = document.querySelector("#camera canvas.camera-live");
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let lo = 255;
    let hi = 0;
    for (let i = 0; i < px.length; i += 4) {
      lo = Math.min(lo, px[i + 1]);
      hi = Math.max(hi, px[i + 1]);
    }
    return hi - lo;
  });
  assert.ok(spread > 20, `${where}: the live canvas is drawn (green spread ${spread})`);
  // one frame in flight: the frames sent to the worker are never more than one ahead of the
  // answers drawn (the next frame goes only when an answer is in: the others are dropped)
  for (let k = 0; k < 20; k++) {
    const { sent, drawn } = await page.evaluate(() => ({
      sent: window.camscopeDebug.requests().filter((t) => t === "frame").length,
      drawn: window.camscopeDebug.camera.frames,
    }));
    assert.ok(sent - drawn >= 0 && sent - drawn <= 1, `${where}: ${sent} frames sent, ${drawn} answered`);
    await page.waitForTimeout(50);
  }
  const m = await measure(page, 5);
  t.diagnostic(`${where}: ${m.frames} frames in 5 s = ${m.fps.toFixed(1)} frames/s (worker median ${m.medianMs.toFixed(1)} ms a frame, ${last.width}x${last.height}, map max ${last.max.toFixed(3)})`);
  assert.ok(m.frames > 0, "frames keep coming");
  // Layer-CAM of class 1 (a choice in the panel) also arrives
  await page.selectOption('#camera select[data-camera="method"]', "layercam");
  await page.selectOption('#camera select[data-camera="class"]', "1");
  await page.waitForFunction(() => {
    const l = window.camscopeDebug.camera.last;
    return l && l.result.method === "layercam" && l.result.cls === 1;
  });
}

test("http: live maps, rate, Freeze gives the core's maps for those pixels, Stop releases the tracks", async (t) => {
  const browser = await launchWith(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
  const { page, errors } = await open(browser, server.url);
  await liveChecks(t, page, "http");
  assert.deepEqual(await axeViolations(page), [], "axe-core: no violation with the camera running");
  await page.click('#camera button[data-camera="freeze"]');
  await page.waitForFunction(() => window.camscopeDebug.camera.frozen && window.camscopeDebug.lastMaps.pictureName === window.camscopeDebug.camera.frozen.name, null, { timeout: 30000 });
  await idle(page);
  assert.deepEqual(await page.evaluate(() => window.camscopeDebug.camera.tracks()), ["ended"], "Freeze stops the camera");
  assert.equal(await page.isHidden("#camera"), true);
  // the picture's pixels are the frame's, exactly (the PNG is lossless)
  const frozen = await page.evaluate(() => {
    const f = window.camscopeDebug.camera.frozen;
    const p = window.camscopeDebug.state.pictures.find((q) => q.name === f.name);
    let same = p.width === f.width && p.height === f.height && p.rgba.length === f.rgba.length;
    for (let i = 0; same && i < f.rgba.length; i++) same = p.rgba[i] === f.rgba[i];
    let s = "";
    for (let i = 0; i < f.rgba.length; i += 0x8000) s += String.fromCharCode(...f.rgba.subarray(i, i + 0x8000));
    return { same, width: f.width, height: f.height, b64: btoa(s) };
  });
  assert.ok(frozen.same, "the frozen picture's pixels are the frame's");
  const m = await lastMaps(page);
  const ref = await coreMaps(new Uint8Array(Buffer.from(frozen.b64, "base64")), frozen.width, frozen.height, m.layer, Object.keys(m.maps));
  let worst = 0;
  for (const [method, list] of Object.entries(m.maps))
    list.forEach((map, c) => map.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref.maps[method][c][i])))));
  m.prediction.probabilities.forEach((p, c) => assert.ok(Math.abs(p - ref.probabilities[c]) < 1e-6));
  assert.equal(worst, 0, `the frozen picture's maps are the core's on its pixels (worst difference ${worst})`);
  t.diagnostic(`Freeze: ${frozen.width}x${frozen.height}, ${Object.keys(m.maps).join("+")} maps equal to the core's in Node (worst |difference| ${worst})`);
  // start again, then Stop
  await page.click("#camera-open");
  await page.waitForFunction(() => window.camscopeDebug.camera.frames >= 2);
  assert.deepEqual(await page.evaluate(() => window.camscopeDebug.camera.tracks()), ["live"]);
  await page.click('#camera button[data-camera="stop"]');
  assert.deepEqual(await page.evaluate(() => window.camscopeDebug.camera.tracks()), ["ended"], "Stop ends the tracks");
  assert.equal(await page.evaluate(() => window.camscopeDebug.camera.running), false);
  assert.deepEqual(errors, []);
});

test("file://: the camera runs where Chromium allows it, else a clear note", async (t) => {
  const browser = browsers[0] || (await launchWith(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]));
  const { page } = await open(browser, FILE_URL);
  await page.click("#camera-open");
  await page.waitForFunction(() => window.camscopeDebug.camera.frames >= 3 || window.camscopeDebug.camera.problem, null, { timeout: 30000 });
  const problem = await page.evaluate(() => window.camscopeDebug.camera.problem);
  if (problem) {
    t.diagnostic(`file://: no camera (${problem.reason}): "${problem.text}"`);
    assert.ok(await page.isVisible("#camera .camera-note"));
  } else {
    const m = await measure(page, 3);
    t.diagnostic(`file://: the camera runs, ${m.fps.toFixed(1)} frames/s`);
    await page.click('#camera button[data-camera="stop"]');
    assert.deepEqual(await page.evaluate(() => window.camscopeDebug.camera.tracks()), ["ended"]);
  }
});

test("refused permission, no camera, no mediaDevices: a note that says so", async () => {
  const cases = [
    ["refused", ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream=deny"], null, /not allowed/],
    ["no camera", ["--use-fake-ui-for-media-stream"], null, /No camera was found|could not be started/],
    ["insecure", [], () => Object.defineProperty(Navigator.prototype, "mediaDevices", { get: () => undefined }), /only on https, on localhost/],
  ];
  for (const [what, args, init, expected] of cases) {
    const browser = await launchWith(args);
    const { page } = await open(browser, server.url, init);
    await page.click("#camera-open");
    await page.waitForFunction(() => window.camscopeDebug.camera.problem, null, { timeout: 30000 });
    const text = await page.textContent("#camera .camera-note");
    assert.match(text, expected, `${what}: ${text}`);
    assert.ok(await page.isVisible("#camera .camera-note"), what);
    assert.equal(await page.evaluate(() => window.camscopeDebug.camera.running), false);
    // the page still explains pictures
    await page.click('button[data-sample="dog.jpg"]');
    await idle(page);
    assert.equal((await lastMaps(page)).pictureName, "dog.jpg");
  }
});
