// Issue 13, points 5, 8 and 9: the default colours are perceptually uniform and readable
// with deuteranopia (checked on the page's own colour table; Jet fails the same check), every
// text is worded by the colour map in use and a legend shows in every normalisation; the
// page says plainly that the model knows only its own classes (worded from the model's class
// names) and flags tiny, elongated and plain pictures; a weak class's scaled-up map says so;
// the shared scale is the default; opened pictures are listed and come back with a click, and
// a Compare row opens its picture.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { launch, startServer, openPage, idle, lastMaps, encodePng, testPicture, SHIPPED_WEIGHTS } from "./helpers.mjs";
import { press, deuteranopia, lightness } from "./audit_helpers.mjs";

let browser;
let server;
let page;
let context;
let seen;
before(async () => {
  browser = await launch();
  server = await startServer();
  ({ page, context, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } }));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

async function pick(name, buffer, type = "image/png") {
  await page.setInputFiles("#file", { name, mimeType: type, buffer });
  await idle(page);
}

const text = (sel) => page.textContent(sel).then((t) => t.replace(/\s+/g, " ").trim());

// L* of each entry of a colour table as someone with deuteranopia sees it.
function seenLightness(lut) {
  return Array.from({ length: 256 }, (_, i) => lightness(deuteranopia([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]])));
}

test("the default colour map is Viridis: lightness rises steadily, also with deuteranopia; Jet's does not", async () => {
  const s = await page.evaluate(() => ({
    cmap: window.camscopeDebug.state.cmap,
    norm: window.camscopeDebug.state.norm,
    luts: Object.fromEntries(Object.entries(window.camscopeDebug.state.model.luts).map(([k, v]) => [k, Array.from(v)])),
    options: [...document.querySelectorAll("#cmap option")].map((o) => [o.value, o.parentElement.label]),
  }));
  assert.equal(s.cmap, "viridis");
  assert.equal(s.norm, "shared", "the shared scale is the default (see web/README.md)");
  assert.deepEqual(s.options.map(([v]) => v).sort(), ["gray", "jet", "turbo", "viridis"], "Jet and the others stay a choice");
  assert.match(s.options.find(([v]) => v === "viridis")[1], /colour-blind safe/);
  const steps = (L) => L.slice(1).map((v, i) => v - L[i]);
  const viridis = seenLightness(s.luts.viridis);
  assert.ok(Math.min(...steps(viridis)) > -0.3, `Viridis seen with deuteranopia never gets darker (worst step ${Math.min(...steps(viridis)).toFixed(2)})`);
  assert.ok(viridis[255] - viridis[128] > 25, `its peak stands apart from the middle (L* ${viridis[128].toFixed(0)} -> ${viridis[255].toFixed(0)})`);
  const jet = seenLightness(s.luts.jet);
  assert.ok(Math.min(...steps(jet)) < -0.3, "the same check fails for Jet (so it can fail): its peak is darker than its middle");
});

test("every text is worded by the colour map in use; a legend in every normalisation", async () => {
  const words = { viridis: ["yellow", "dark purple"], gray: ["white", "black"], turbo: ["dark red", "dark blue"], jet: ["dark red", "dark blue"] };
  for (const [cmap, [high, low]] of Object.entries(words)) {
    await page.selectOption("#cmap", cmap);
    await press(page, "1");
    const note = await text("[data-testid=maps-note]");
    assert.match(note, new RegExp(`^${high}`, "i"), `${cmap}: the note names the peak colour (${note})`);
    assert.ok(note.includes(low), `${cmap}: the note names the “none” colour`);
    const legend = await page.getAttribute("#view-explain canvas.colourbar", "aria-label");
    assert.ok(legend.includes(high) && legend.includes(low), `${cmap}: the legend's text alternative (${legend})`);
    await press(page, "2");
    const about = await text("#view-features .channel-card p");
    assert.ok(about.includes(high) && about.includes(low), `${cmap}: the feature maps text (${about})`);
    await press(page, "4");
    for (let i = 0; i < 3; i++) await press(page, "ArrowRight");
    const teach = await text("[data-testid=colour-words]");
    assert.match(teach, new RegExp(`^${high}`, "i"), `${cmap}: How it works step 4 (${teach})`);
    assert.ok(teach.toLowerCase().includes(low), `${cmap}: How it works names the “none” colour`);
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowLeft");
    if (cmap === "viridis" || cmap === "gray") {
      for (const t of [note, about, teach]) assert.doesNotMatch(t, /warm|\bred\b|\bblue\b/i, `${cmap}: no words of another colour map (${t})`);
    }
  }
  await page.selectOption("#cmap", "viridis");
  await press(page, "1");
  for (const norm of ["map", "shared", "raw"]) {
    await page.click(`#norm input[value="${norm}"]`, { force: true });
    await idle(page);
    const legends = await page.$$eval("#view-explain canvas.colourbar", (cs) =>
      cs.map((c) => {
        const r = c.getBoundingClientRect();
        const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const colours = new Set();
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 200) colours.add(`${px[i]},${px[i + 1]},${px[i + 2]}`);
        return { w: r.width, h: r.height, colours: colours.size, high: c.dataset.high };
      }),
    );
    assert.equal(legends.length, 2, `${norm}: a legend per method`);
    for (const g of legends) {
      assert.ok(g.w > 100 && g.h > 20, `${norm}: the legend is visible`);
      assert.ok(g.colours > 100, `${norm}: the legend shows the colour range (${g.colours} colours)`);
    }
    if (norm === "map") assert.equal(legends[0].high, "each map's peak");
    else assert.match(legends[0].high, /^[0-9.e-]+$/, `${norm}: the legend's top is a number`);
  }
  await page.click('#norm input[value="shared"]', { force: true });
  await idle(page);
});

test("pictures the network cannot know: said plainly, small / elongated / plain ones flagged", async () => {
  await press(page, "1");
  const classes = await page.evaluate(() => window.camscopeDebug.state.model.info.classes);
  const grey = new Uint8Array(300 * 300 * 3).fill(128);
  await pick("grey.png", encodePng(300, 300, grey));
  assert.equal((await lastMaps(page)).pictureName, "grey.png");
  assert.equal(await text("[data-testid=knows-only]"), `This network knows only ${classes[0]} and ${classes[1]}: it always picks one of the two, even for a picture that shows none of them.`);
  assert.match(await text(".prediction-notes"), /almost one plain colour/);
  await pick("tiny.png", encodePng(8, 8, testPicture(8, 8)));
  assert.match(await text(".prediction-notes"), /Very small picture \(8 × 8 px\).*blown up 28×/);
  await pick("strip.png", encodePng(1000, 200, testPicture(1000, 200)));
  assert.match(await text(".prediction-notes"), /Very wide picture \(5\.0 : 1\)/);
  await pick("tall.png", encodePng(90, 400, testPicture(90, 400)));
  assert.match(await text(".prediction-notes"), /Very tall picture/);
  await page.click('button[data-sample="cat.jpg"]');
  await idle(page);
  assert.equal(await page.$$eval("[data-testid=picture-warning]", (w) => w.length), 0, "a plain photo gets no warning");
  const said = await page.textContent("#announce");
  assert.match(said, /^cat\.jpg: (cat|dog), \d+\.\d %/, `the live region reads the new prediction (${said})`);
});

test("per map: a weak class's map says it is scaled up; shared: its share of the stronger class", async () => {
  await page.click('button[data-sample="cat.jpg"]');
  await idle(page);
  const m = await lastMaps(page);
  const caption = (c) => page.textContent(`#view-explain .map-cell:has(canvas[data-method=gradcam][data-class="${c}"]) .cap`);
  const peaks = m.maps.gradcam.map((a) => Math.max(...a));
  const [lo, hi] = peaks[0] < peaks[1] ? [0, 1] : [1, 0];
  assert.match(await caption(lo), new RegExp(`${Math.round((100 * peaks[lo]) / peaks[hi])} % of the stronger class`));
  await page.click('#norm input[value="map"]', { force: true });
  await idle(page);
  const classes = await page.evaluate(() => window.camscopeDebug.state.model.info.classes);
  assert.match(await caption(lo), new RegExp(`${Math.round((100 * peaks[lo]) / peaks[hi])} % of ${classes[hi]}'s · colours scaled up ×${(peaks[hi] / peaks[lo]).toFixed(0)}`));
  assert.doesNotMatch(await caption(hi), /scaled up/, "the stronger class's map is not scaled up");
  await page.click('#norm input[value="shared"]', { force: true });
  await idle(page);
});

test("the model's own class names are used (a model of foxes and owls)", async () => {
  // The shipped file with its two class names changed (same length) and its checksum redone.
  const bytes = Buffer.from(readFileSync(SHIPPED_WEIGHTS));
  const desc = bytes.subarray(32, 32 + bytes.readUInt32LE(12)).toString("latin1");
  const at = desc.indexOf("class cat\nclass dog\n");
  assert.ok(at > 0);
  bytes.write("class fox\nclass owl\n", 32 + at, "latin1");
  bytes.writeUInt32LE(crc32(bytes.subarray(32)) >>> 0, 24);
  await pick("foxes_owls.csw", bytes, "application/octet-stream");
  assert.match(await text("#message"), /classes fox and owl/);
  assert.equal(await text("[data-testid=knows-only]"), "This network knows only fox and owl: it always picks one of the two, even for a picture that shows none of them.");
  assert.match(await page.textContent("#view-explain .maps"), /fox.*owl/);
  await pick("camscope_catsdogs_int8.csw", readFileSync(SHIPPED_WEIGHTS), "application/octet-stream");
  assert.match(await text("[data-testid=knows-only]"), /knows only cat and dog/);
  await page.click("#message-close");
});

test("opened pictures are listed beside the samples and come back with a click; Compare rows open theirs", async () => {
  const before = await page.$$eval("#opened button", (b) => b.length);
  await pick("my garden.png", encodePng(160, 120, testPicture(160, 120)));
  await page.click('button[data-sample="dog.jpg"]');
  await idle(page);
  const opened = await page.$$eval("#opened button", (bs) => bs.map((b) => ({ name: b.getAttribute("aria-label"), pressed: b.getAttribute("aria-pressed"), img: !!b.querySelector("img[src^='data:']") })));
  assert.equal(opened.length, before + 1);
  const mine = opened.find((b) => b.name === "my garden.png");
  assert.ok(mine && mine.img && mine.pressed === "false", "listed with a thumbnail");
  await page.click('#opened button[aria-label="my garden.png"]');
  await idle(page);
  assert.equal((await lastMaps(page)).pictureName, "my garden.png", "a click brings it back");
  assert.equal(await page.getAttribute('#opened button[aria-label="my garden.png"]', "aria-pressed"), "true");

  await press(page, "3");
  const rowButton = page.locator("#view-compare .table-card").first().locator("button.row-open", { hasText: "cat.jpg" });
  await rowButton.focus();
  await press(page, "Enter");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.view), "explain", "Enter on a row opens Explain");
  assert.equal((await lastMaps(page)).pictureName, "cat.jpg");
  await press(page, "3");
  await page.locator("#view-compare .table-card").nth(2).locator("tr", { hasText: "dog.jpg" }).locator("canvas").nth(1).click();
  await idle(page);
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.view), "explain", "a click on a row's map opens Explain");
  assert.equal((await lastMaps(page)).pictureName, "dog.jpg");
  assert.deepEqual(seen.errors, []);
  await context.close();
});
