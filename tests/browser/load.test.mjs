// The page loads over HTTP and from file://, with no console errors, and asks nothing of
// anyone but the server it came from (nothing at all after load).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runInNewContext } from "node:vm";
import { gunzipSync } from "node:zlib";
import { decodedForTransfer, restoreRows, rowOrder, unpackEmbedded } from "../../web/src/protocol.js";
import { launch, startServer, openPage, idle, lastMaps, FILE_URL, WEB, SHIPPED_WEIGHTS } from "./helpers.mjs";

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await startServer();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

const local = (u) => u.startsWith("blob:") || u.startsWith("data:") || u.startsWith("worker:blob:");

async function basics(t, page, seen) {
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
  assert.equal(d.simd, true, "this chromium has WebAssembly SIMD");
  assert.match(d.verdict || "", /^(cat|dog)/);
  assert.deepEqual(seen.errors, [], "no console errors");
  t.diagnostic(
    `first map ${Math.round(d.firstMapMs)} ms after navigation; forward ${d.timings.forwardMs.toFixed(1)} ms, ` +
      `backward ${d.timings.backwardMs.toFixed(1)} ms, maps ${d.timings.mapsMs.toFixed(2)} ms`,
  );
  return d;
}

// Clicks through every view and a few layers; returns nothing, only exercises the page.
async function tour(page) {
  for (const key of ["2", "3", "4", "ArrowRight", "ArrowRight", "1"]) {
    await page.keyboard.press(key);
    await idle(page);
  }
  const layers = await page.$$eval("#layer option", (o) => o.map((x) => x.value));
  await page.selectOption("#layer", layers[layers.length - 1]);
  await idle(page);
}

test("loads over HTTP: no console errors, no request but to its own server", async (t) => {
  const { page, context, seen } = await openPage(browser, server.url);
  await basics(t, page, seen);
  const foreign = seen.requests.filter((u) => !u.startsWith(`${server.origin}/`) && !local(u));
  assert.deepEqual(foreign, [], "only the page's own server is asked");
  const asked = server.requests.length;
  await tour(page);
  assert.equal(server.requests.length, asked, "nothing is requested after load");
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("works from file:// (blob worker, inline weights), no console errors", async (t) => {
  const { page, context, seen } = await openPage(browser, FILE_URL);
  await basics(t, page, seen);
  const foreign = seen.requests.filter((u) => !u.startsWith("file://") && !local(u));
  assert.deepEqual(foreign, [], "only files beside the page are read");
  const files = seen.requests.filter((u) => !local(u)).length;
  await tour(page);
  assert.equal(seen.requests.filter((u) => !local(u)).length, files, "nothing is read after load");
  const m = await lastMaps(page);
  assert.ok(m.shape[1] >= 1);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("no-SIMD build and in-page fallback still explain (and say so)", async () => {
  const { page, context, seen } = await openPage(browser, `${server.url}?simd=off&worker=off`);
  const d = await page.evaluate(() => ({ mode: window.camscopeDebug.mode, simd: window.camscopeDebug.simd }));
  assert.deepEqual(d, { mode: "inline", simd: false });
  const status = await page.textContent("#model-line");
  assert.match(status, /without SIMD/);
  assert.match(status, /no worker/);
  const m = await lastMaps(page);
  assert.deepEqual(m.shape.slice(1), [13, 13]);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("the page's built-in weights are the shipped file (web/weights.js is up to date)", async () => {
  const scope = {};
  runInNewContext(readFileSync(join(WEB, "weights.js"), "utf8"), { self: scope });
  const embedded = scope.camscopeEmbeddedWeights;
  const shipped = readFileSync(SHIPPED_WEIGHTS);
  // What the page decodes (protocol.js: base64, gunzip, the rows put back) is the file itself.
  const same = Buffer.from(await unpackEmbedded(embedded)).equals(shipped);
  assert.ok(same, "web/weights.js differs from weights/camscope_catsdogs_int8.csw: run tools/build.sh");
  // The rows were stored reordered (the reason for `rows`), one segment per int8 tensor.
  assert.equal(embedded.rows.length, 7);
  const stored = gunzipSync(Buffer.from(embedded.base64, "base64"));
  assert.equal(stored.length, shipped.length);
  assert.ok(!stored.equals(shipped), "the stored rows are in the file's order");
  // A row order that is not a permutation, or runs past the file, is refused.
  // Each order as base64 of 1- or 2-byte integers (the 384 rows of conv3 need two bytes).
  assert.deepEqual(Array.from(embedded.rows, (r) => r[2]), [1, 1, 2, 1, 1, 1, 1]);
  const [at, perRow] = embedded.rows[1];
  const order = rowOrder(embedded.rows[1]);
  assert.deepEqual([...order].sort((a, b) => a - b), [...order.keys()]);
  assert.equal(rowOrder(embedded.rows[2]).length, 384);
  assert.throws(() => restoreRows(stored, [[at, perRow, 3, embedded.rows[1][3]]]), /not 3-byte integers/);
  assert.throws(() => restoreRows(stored, [[at, perRow, 2, "AAEC"]]), /not 2-byte integers/); // 3 bytes
  assert.throws(() => restoreRows(stored, [[at, perRow, 1, "not base64!"]]), /not 1-byte integers/);
  assert.throws(() => restoreRows(stored, [[at, perRow, 1, "AAA="]]), /not a permutation/); // rows 0, 0
  const twice = [[at, perRow, [order[0], ...order.slice(0, -1)]]];
  assert.throws(() => restoreRows(stored, twice), /not a permutation/);
  assert.throws(() => restoreRows(stored, [[stored.length - perRow, perRow, order]]), /outside the file/);
  assert.throws(() => restoreRows(stored, [[at, perRow, [0, 1.5]]]), /not a permutation/);
  // Where the browser decodes base64 natively the page sends the bytes, transferred
  // (decodedForTransfer): they unpack to the same file. Node 20 lacks Uint8Array.fromBase64:
  // without it the payload goes as it is; with a stand-in, as bytes.
  const native = Uint8Array.fromBase64;
  try {
    delete Uint8Array.fromBase64;
    assert.deepEqual(decodedForTransfer(embedded), [embedded, []]);
    Uint8Array.fromBase64 = (text) => new Uint8Array(Buffer.from(text, "base64"));
    const [message, transfer] = decodedForTransfer(embedded);
    assert.ok(message.bytes instanceof Uint8Array && !("base64" in message));
    assert.deepEqual(transfer, [message.bytes.buffer]);
    assert.equal(message.name, embedded.name);
    assert.ok(Buffer.from(await unpackEmbedded(message)).equals(shipped));
    Uint8Array.fromBase64 = () => {
      throw new SyntaxError("not base64");
    };
    assert.deepEqual(decodedForTransfer(embedded), [embedded, []]); // the worker says what is wrong
  } finally {
    if (native) Uint8Array.fromBase64 = native;
    else delete Uint8Array.fromBase64;
  }
});

// The built-in parts load side by side (main.js boot): a page missing one says which, and
// one missing only its samples still starts (the core and weights do not wait for them).
// camscope_boot.js chooses the core (web/src/boot.js): without it nothing starts, and says so.
test("a page built without its weights, its samples or its boot script says so", async () => {
  for (const [missing, expected] of [
    ["weights.js", /weights \(weights\.js\) are missing/],
    ["samples.js", /sample pictures \(samples\.js\) are missing/],
    ["camscope_boot.js", /camscope_boot\.js was not loaded/],
  ]) {
    const dir = mkdtempSync(join(tmpdir(), "camscope-page-"));
    try {
      cpSync(WEB, dir, { recursive: true, filter: (src) => !src.endsWith(missing) && !src.includes("node_modules") });
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(dir, "index.html")).href);
      await page.waitForFunction((re) => new RegExp(re).test(document.body.textContent), expected.source, { timeout: 60000 });
      if (missing === "samples.js") {
        // The core still starts: a picture the person opens is explained.
        await page.waitForFunction(() => window.camscopeDebug && window.camscopeDebug.ready, null, { timeout: 60000 });
        const d = await page.evaluate(() => ({ error: window.camscopeDebug.error, mode: window.camscopeDebug.mode }));
        assert.equal(d.error, null);
        assert.equal(d.mode, "worker");
      } else {
        const d = await page.evaluate(() => window.camscopeDebug.error);
        assert.match(d, expected);
      }
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
