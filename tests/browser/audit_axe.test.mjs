// Issue 13, point 7 and "axe-core with zero violations in every view and state": axe-core
// (from npm, injected into the page) finds nothing in any view, normalisation, teaching
// step, with large type, an error, an info message, the keys dialog, the drop overlay, a
// warned picture and opened pictures. And, checked directly: the toolbar is a landmark; a new
// prediction is read out by a live region; Compare's and Feature maps' canvases carry text
// alternatives with picture, class, method and peak; the Save buttons have distinct names;
// the focus ring and the tab hints reach 3:1 against what they sit on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, startServer, openPage, idle, encodePng, testPicture } from "./helpers.mjs";
import { axeViolations, press, contrast } from "./audit_helpers.mjs";

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

const found = [];
async function audit(state) {
  await idle(page);
  for (const v of await axeViolations(page)) found.push(`${state}: ${v}`);
}

async function norm(n) {
  await page.click(`#norm input[value="${n}"]`, { force: true });
  await idle(page);
}

test("axe-core: no violation in any view or state", async (t) => {
  for (const n of ["shared", "map", "raw"]) {
    await norm(n);
    await audit(`Explain, ${n}`);
  }
  await norm("shared");
  await press(page, "2");
  await audit("Feature maps");
  await press(page, "3");
  await audit("Compare");
  await press(page, "4");
  for (let s = 1; s <= 6; s++) {
    await audit(`How it works, step ${s}`);
    await press(page, "ArrowRight");
  }
  await press(page, "l");
  for (const v of ["1", "2", "3", "4"]) {
    await press(page, v);
    await audit(`large type, view ${v}`);
  }
  await press(page, "l");
  await press(page, "1");
  await page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("text") });
  await audit("an error message");
  await press(page, "Escape");
  await page.setInputFiles("#file", { name: "tiny.png", mimeType: "image/png", buffer: encodePng(8, 8, testPicture(8, 8)) });
  await audit("a tiny picture (warned), opened pictures listed");
  await page.evaluate(() => window.dispatchEvent(new ClipboardEvent("paste", { clipboardData: (() => { const d = new DataTransfer(); d.setData("text/plain", "x"); return d; })() })));
  await audit("an info message");
  await page.click("#message-close");
  await page.evaluate(() => {
    const d = new DataTransfer();
    d.items.add(new File(["x"], "x.png", { type: "image/png" }));
    window.dispatchEvent(new DragEvent("dragenter", { dataTransfer: d }));
  });
  assert.equal(await page.isVisible("#drop"), true);
  await audit("the drop overlay");
  await page.evaluate(() => window.dispatchEvent(new DragEvent("dragleave")));
  await press(page, "?");
  assert.equal(await page.isVisible("#keys-dialog"), true);
  await audit("the keys dialog");
  await page.keyboard.press("Escape");
  t.diagnostic(`axe-core ${await page.evaluate(() => window.axe.version)}, ${found.length} violations`);
  assert.deepEqual(found, []);
});

test("landmarks and the live region", async () => {
  await press(page, "1");
  const toolbar = await page.evaluate(() => {
    const t = document.querySelector("#tabs").closest("section");
    return { tag: t.tagName, label: t.getAttribute("aria-label"), controls: t.contains(document.querySelector("#controls")) };
  });
  assert.deepEqual(toolbar, { tag: "SECTION", label: "Views and map settings", controls: true }, "tabs and controls sit in a named region");
  await page.click('button[data-sample="dog.jpg"]');
  await idle(page);
  const live = await page.evaluate(() => {
    const a = document.querySelector("#announce");
    return { role: a.getAttribute("role"), live: a.getAttribute("aria-live"), text: a.textContent };
  });
  assert.equal(live.role, "status");
  assert.equal(live.live, "polite");
  assert.match(live.text, /^dog\.jpg: dog, \d+\.\d % \(cat \d+\.\d %\)\.$/);
});

test("canvases carry text alternatives: Compare (every one) and Feature maps", async () => {
  await press(page, "3");
  const compare = await page.$$eval("#view-compare table.lab canvas", (cs) => cs.map((c) => ({ role: c.getAttribute("role"), label: c.getAttribute("aria-label") || "" })));
  const pictures = await page.evaluate(() => window.camscopeDebug.state.pictures.length);
  assert.equal(compare.length, 3 * 3 * pictures, "3 tables x 3 canvases per picture");
  for (const c of compare) {
    assert.equal(c.role, "img");
    assert.match(c.label, /\.(png|jpg)/, `names the picture: ${c.label}`);
  }
  const maps = compare.filter((c) => /map for/.test(c.label));
  assert.equal(maps.length, 2 * 3 * pictures);
  for (const c of maps) assert.match(c.label, /^(Grad-CAM|Layer-CAM) map for (cat|dog) on .+: (peak [0-9.e-]+|all zero)/, c.label);
  assert.ok(compare.filter((c) => /^the picture .*predicted (cat|dog)/.test(c.label)).length === 3 * pictures, "each row's picture says its prediction");

  await press(page, "2");
  const features = await page.$$eval("#view-features canvas", (cs) => cs.map((c) => c.getAttribute("aria-label") || ""));
  assert.equal(features.length, 3);
  assert.match(features[0], /^256 feature maps of features\.14, 16 by 16 tiles; channel \d+ selected/);
  assert.match(features[1], /^channel \d+ of features\.14 over the picture dog\.jpg: activation range .* weight for dog/);
  assert.match(features[2], /^channel \d+ of features\.14 on its own, 13×13/);
});

test("every Save button has its own name", async () => {
  const names = [];
  for (const v of ["1", "2", "3", "4"]) {
    await press(page, v);
    names.push(...(await page.$$eval(`#view-${["", "explain", "features", "compare", "teach"][v]} button`, (bs) => bs.filter((b) => b.textContent.trim() === "Save PNG").map((b) => b.getAttribute("aria-label")))));
  }
  assert.equal(names.length, 7, names.join(" | "));
  for (const n of names) assert.match(n, /^Save PNG: /, "the name starts with the visible text");
  assert.equal(new Set(names).size, names.length, names.join(" | "));
});

test("the focus ring and the tab hints reach 3:1", async () => {
  await press(page, "1");
  // Where the ring can sit: the page, a card, the tab bar, a pressed (blue) segment's white ring.
  const c = await page.evaluate(() => {
    const css = getComputedStyle(document.documentElement);
    document.querySelector("#layer").focus();
    const ring = getComputedStyle(document.querySelector("#layer")).outlineColor;
    const tabs = getComputedStyle(document.querySelector("#tabs")).backgroundColor;
    const key = getComputedStyle(document.querySelector("#tabs .key")).color;
    return { ring, page: getComputedStyle(document.body).backgroundColor, card: css.getPropertyValue("--card").trim(), tabs, key, focus: css.getPropertyValue("--focus").trim() };
  });
  await page.keyboard.press("Tab"); // keyboard focus: :focus-visible applies
  const style = await page.evaluate(() => {
    const a = document.activeElement;
    const s = getComputedStyle(a);
    return { tag: a.tagName, width: parseFloat(s.outlineWidth), style: s.outlineStyle, colour: s.outlineColor };
  });
  assert.equal(style.style, "solid", `a visible ring on ${style.tag}`);
  assert.ok(style.width >= 2);
  for (const [where, bg] of [["page", c.page], ["card", c.card], ["tab bar", c.tabs], ["white inner ring", "#ffffff"]]) {
    const r = contrast(style.colour, bg);
    assert.ok(r >= 3, `focus ring against the ${where}: ${r.toFixed(2)}:1`);
  }
  // The segmented control's ring (inside it) keeps a white ring between it and the blue fill.
  await page.focus('#norm input[value="shared"]');
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowRight");
  await idle(page);
  const seg = await page.evaluate(() => getComputedStyle(document.querySelector("#norm input:checked").parentElement).boxShadow);
  assert.match(seg, /inset/, `the segment shows a ring: ${seg}`);
  const dark = seg.match(/rgb\([^)]*\)/g)[0];
  assert.ok(contrast(dark, "#ffffff") >= 3, `the segment's ring against its white inner ring: ${contrast(dark, "#ffffff").toFixed(2)}:1`);
  for (const bg of [c.tabs, "#ffffff"]) {
    const r = contrast(c.key, bg);
    assert.ok(r >= 4.5, `tab hint digits: ${r.toFixed(2)}:1 on ${bg}`);
  }
  assert.deepEqual(seen.errors, []);
  await context.close();
});

// Issue 9's controls and states: the pickers open, many methods shown (maps, RGB gradient
// pictures), a fused view, Score-CAM while it runs (progress bars) and when done, Compare
// with those columns, the feature grid ordered by another method's weights, How it works'
// new steps (Score-CAM's Run button and its progress).
test("axe-core: pickers, every kind of method, a fused view, progress, Compare's columns, the new steps", async (t) => {
  const fresh = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 } });
  page = fresh.page;
  const before = found.length;
  const now = async (state) => {
    for (const v of await axeViolations(page)) found.push(`${state}: ${v}`);
  };
  await page.click("#methods-summary");
  await audit("the methods picker open");
  for (const m of ["gradcampp", "eigencam", "gradcam_neg", "guidedbackprop", "guidedgradcam", "saliency"]) await page.check(`#methods-panel input[data-method="${m}"]`);
  await page.keyboard.press("Escape");
  await audit("Explain with eight methods");
  await page.click("#fuse-summary");
  await audit("the fuse picker open");
  for (const v of await page.$$eval("#fuse-panel input[data-layer]", (is) => is.slice(0, 2).map((i) => i.dataset.layer))) await page.check(`#fuse-panel input[data-layer="${v}"]`);
  await page.keyboard.press("Escape");
  await audit("Explain with a fused view");
  // Score-CAM at the first conv (64 channels: the fewest masked passes), audited while it runs.
  const first = await page.evaluate(() => window.camscopeDebug.state.model.info.layers.findIndex((l) => l.name === "features.0"));
  await page.selectOption("#layer", String(first));
  await idle(page);
  await page.click("#methods-summary");
  await page.check('#methods-panel input[data-method="scorecam"]');
  await page.keyboard.press("Escape");
  await page.waitForSelector("#view-explain [data-progress] progress");
  await now("Explain while Score-CAM runs");
  await audit("Explain with Score-CAM done");
  await page.click("#methods-summary");
  await page.uncheck('#methods-panel input[data-method="scorecam"]');
  await page.keyboard.press("Escape");
  await press(page, "3");
  await audit("Compare with seven columns");
  await press(page, "2");
  await page.selectOption("#view-features select", "gradcampp");
  await audit("Feature maps ordered by Grad-CAM++ weights");
  // Another picture (Score-CAM not run for it yet), still at the first conv.
  await page.click('button[data-sample="cat.jpg"]');
  await press(page, "4");
  const steps = await page.$$eval("#view-teach .dots button", (b) => b.length);
  for (let s = 1; s <= steps; s++) {
    if (s > 6) await audit(`How it works, step ${s}`);
    if (s === 8) {
      await page.click("[data-focus=run-scorecam]");
      await page.waitForSelector("#view-teach [data-progress] progress");
      await now("How it works, Score-CAM running");
      await audit("How it works, Score-CAM done");
    }
    await press(page, "ArrowRight");
  }
  t.diagnostic(`${found.length - before} violations in the new states`);
  assert.deepEqual(found.slice(before), []);
  assert.deepEqual(fresh.seen.errors, []);
  await fresh.context.close();
});
