// Pictures in (file picker, paste, drop), and everything that must get a message instead:
// text files, truncated or broken pictures, enormous ones, corrupt weights files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  launch, startServer, openPage, idle, lastMaps, message, encodePng, testPicture, WEB, SHIPPED_WEIGHTS, OTHER_WEIGHTS, existsSync,
} from "./helpers.mjs";

let browser;
let server;
let page;
let context;
let seen;
before(async () => {
  browser = await launch();
  server = await startServer();
  ({ page, context, seen } = await openPage(browser, server.url));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

const cat = readFileSync(join(WEB, "samples", "cat.jpg"));

async function pick(name, mimeType, buffer) {
  await page.setInputFiles("#file", { name, mimeType, buffer });
  await idle(page);
}

test("a picture chosen with the file picker is explained", async () => {
  await pick("my cat.jpg", "image/jpeg", cat);
  const m = await lastMaps(page);
  assert.equal(m.pictureName, "my cat.jpg");
  assert.equal(m.prediction.predicted, 0, "the cat is a cat");
  assert.equal(await message(page), null);
  assert.match(await page.textContent("#view-explain .picture-name"), /my cat\.jpg · 500 × 399 px/);
});

test("pasted and dropped pictures are explained", async () => {
  const png = encodePng(64, 48, testPicture(64, 48));
  for (const [how, name] of [
    ["paste", "pasted.png"],
    ["drop", "dropped.png"],
  ]) {
    await page.evaluate(
      ([how, name, bytes]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
        if (how === "paste") window.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
        else document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [how, name, [...png]],
    );
    await page.waitForFunction((n) => window.camscopeDebug.lastMaps.pictureName === n, name);
    await idle(page);
  }
});

test("a big picture reaches the core at its own size (no pre-shrink; the CLI's rule)", async () => {
  const png = encodePng(2400, 1200, testPicture(2400, 1200));
  await pick("wide.png", "image/png", png);
  const m = await lastMaps(page);
  assert.equal(m.pictureName, "wide.png");
  assert.deepEqual([m.width, m.height], [2400, 1200]);
  assert.match(await page.textContent("#view-explain .picture-name"), /wide\.png · 2400 × 1200 px/);
});

test("non-pictures, truncated, broken and enormous pictures get a message", async () => {
  const before = (await lastMaps(page)).pictureName;
  const cases = [
    ["notes.txt", "text/plain", Buffer.from("these are not pixels\n"), /not a picture/],
    ["half.jpg", "image/jpeg", cat.subarray(0, cat.length >> 1), /truncated/],
    ["broken.png", "image/png", encodePng(40, 30, new Uint8Array(3600), { idat: Buffer.from("not zlib data at all") }), /could not be decoded|damaged/],
    ["huge.png", "image/png", encodePng(40000, 40000, new Uint8Array(0), { idat: Buffer.alloc(8) }), /too large/],
    ["empty.jpg", "image/jpeg", Buffer.alloc(0), /empty/],
  ];
  for (const [name, type, bytes, expected] of cases) {
    await pick(name, type, bytes);
    const m = await message(page);
    assert.ok(m, `${name}: a message`);
    assert.equal(m.kind, "error", name);
    assert.match(m.text, expected, name);
    assert.ok(m.text.includes(name), `${name}: the message names the file`);
    assert.equal((await lastMaps(page)).pictureName, before, `${name}: the previous picture stays`);
    assert.ok(await page.isVisible("#view-explain canvas[data-method]"), `${name}: never a blank page`);
  }
  await page.click("#message-close");
});

test("a corrupt weights file is refused and the old model keeps working", async () => {
  const good = readFileSync(SHIPPED_WEIGHTS);
  const bad = Buffer.from(good);
  bad[bad.length - 1] ^= 0x55;
  const modelBefore = await page.evaluate(() => window.camscopeDebug.state.model.info.name);
  await pick("broken.csw", "application/octet-stream", bad);
  const m = await message(page);
  assert.equal(m.kind, "error");
  assert.match(m.text, /broken\.csw.*was not loaded/);
  assert.match(m.text, /checksum|CRC/i);
  assert.match(m.text, /previous model/);
  await page.click('button[data-sample="dog.jpg"]');
  await idle(page);
  const after = await lastMaps(page);
  assert.equal(after.pictureName, "dog.jpg");
  assert.equal(after.prediction.predicted, 1, "still the trained model: the dog is a dog");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.model.info.name), modelBefore);
});

test("another model's weights file can be dropped in", { skip: !existsSync(OTHER_WEIGHTS) && "no tests/golden weights" }, async () => {
  await pick("weights.csw", "application/octet-stream", readFileSync(OTHER_WEIGHTS));
  const m = await message(page);
  assert.equal(m.kind, "info");
  assert.match(m.text, /Now explaining “weights\.csw”/);
  const maps = await lastMaps(page);
  assert.equal(maps.pictureName, "dog.jpg");
  assert.ok(maps.shape[1] > 0);
  // and back to the shipped model
  await pick("camscope_catsdogs_int8.csw", "application/octet-stream", readFileSync(SHIPPED_WEIGHTS));
  assert.equal((await lastMaps(page)).prediction.predicted, 1);
  assert.deepEqual(seen.errors, []);
  await context.close();
});
