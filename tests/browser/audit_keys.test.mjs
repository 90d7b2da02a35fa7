// Issue 13, points 2, 6 and 10, by key presses only: ← → step through "How it works"
// wherever the focus is in that view (the tab bar keeps its own arrows only while a tab has
// the focus); Enter/Space on a sample, a step arrow or a step number keep the focus where it
// was; the feature grid answers ↑ ↓ Home End PageUp PageDown; 1–4 work from a drop-down;
// Escape closes an error; choosing a sample clears a stale error; the methods and fuse pickers
// open, tick and close by keys.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, startServer, openPage, idle, lastMaps, message } from "./helpers.mjs";
import { press, focused } from "./audit_helpers.mjs";

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

const step = () => page.getAttribute("#view-teach", "data-step").then(Number);
const view = () => page.evaluate(() => window.camscopeDebug.state.view);

test("How it works: ← → move the steps after a click on the tab, the layer drop-down, the slider", async () => {
  await page.click("#tab-teach");
  await idle(page);
  assert.equal(await step(), 0);
  await press(page, "ArrowRight");
  assert.equal(await view(), "teach", "→ after clicking the tab stays in How it works");
  assert.equal(await step(), 1, "→ after clicking the tab is the next step");

  const layers = await page.$$eval("#layer option", (o) => o.map((x) => x.value));
  await page.focus("#layer");
  await page.selectOption("#layer", layers[1]);
  await idle(page);
  const layer = await page.evaluate(() => window.camscopeDebug.state.layer);
  await press(page, "ArrowRight");
  assert.equal(await step(), 2, "→ on the layer drop-down is the next step");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.layer), layer, "… and not another layer");
  assert.equal((await focused(page)).id, "layer", "the drop-down keeps the focus");
  await page.selectOption("#layer", layers[0]);
  await idle(page);

  await page.focus("#opacity");
  const opacity = await page.evaluate(() => window.camscopeDebug.state.opacity);
  await press(page, "ArrowLeft");
  assert.equal(await step(), 1, "← on the opacity slider is the previous step");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.opacity), opacity, "… and the opacity stays");

  // The tab bar's own arrows, only while a tab has the focus.
  await page.focus("#tab-teach");
  await press(page, "ArrowRight");
  assert.equal(await view(), "right", "→ on a focused tab moves to the next tab");
  assert.equal((await focused(page)).id, "tab-right");
  await press(page, "ArrowLeft");
  assert.equal(await view(), "teach");
  assert.equal(await step(), 1, "the step was kept");
});

test("Enter and Space keep the focus: samples, step arrows, step numbers", async () => {
  for (const [name, key] of [["cat.jpg", "Enter"], ["dog.jpg", " "], ["both.png", "Enter"]]) {
    await page.focus(`button[data-sample="${name}"]`);
    await press(page, key === " " ? "Space" : key);
    assert.equal((await lastMaps(page)).pictureName, name, `${key} on the ${name} sample explains it`);
    const f = await focused(page);
    assert.equal(f.tag, "BUTTON", `${name}: the focus stays on a button, not the page`);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.sample), name, `${name}: the same sample button`);
    assert.equal(await page.getAttribute(`button[data-sample="${name}"]`, "aria-pressed"), "true");
  }
  await press(page, "4");
  await page.focus("#view-teach [data-focus=prev]");
  for (const key of ["Enter", "Enter"]) await press(page, key);
  assert.equal(await step(), 0, "Previous stops at the first step");
  assert.equal((await focused(page)).focus, "prev", "the focus stays on Previous (aria-disabled, still focusable)");
  await page.focus("#view-teach [data-focus=next]");
  await press(page, "Enter");
  assert.equal(await step(), 1);
  assert.equal((await focused(page)).focus, "next", "Enter on Next: the focus stays on Next");
  await press(page, "Space");
  assert.equal(await step(), 2);
  assert.equal((await focused(page)).focus, "next", "Space on Next: the focus stays on Next");
  await page.focus("#view-teach [data-focus=step-4]");
  await press(page, "Enter");
  assert.equal(await step(), 4);
  assert.equal((await focused(page)).focus, "step-4", "Enter on a step number: the focus stays on it");
  const last = (await page.$$eval("#view-teach .dots button", (b) => b.length)) - 1;
  await page.focus(`#view-teach [data-focus=step-${last}]`);
  await press(page, "Space");
  assert.equal(await step(), last);
  assert.equal(await page.getAttribute("#view-teach [data-focus=next]", "aria-disabled"), "true");
  await page.focus("#view-teach [data-focus=next]");
  await press(page, "Enter");
  assert.equal(await step(), last, "Next stops at the last step");
  assert.equal((await focused(page)).focus, "next");
  // Tab from the step buttons still walks on (the focus was never dropped to the page).
  await press(page, "Tab");
  assert.notEqual((await focused(page)).tag, "BODY");
});

test("feature grid: ← → ↑ ↓ Home End PageUp PageDown", async () => {
  await press(page, "2");
  const m = await lastMaps(page);
  const w = Array.from(m.weights[m.focusClass]);
  const order = w.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, k]) => k);
  const cols = Math.ceil(Math.sqrt(order.length));
  const selected = async () => Number((await page.textContent("#view-features .channel-card h3")).replace("Channel ", ""));
  await page.focus("#view-features .feature-grid canvas");
  const expect = [
    ["Home", 0],
    ["ArrowDown", cols],
    ["ArrowRight", cols + 1],
    ["ArrowUp", 1],
    ["ArrowUp", 1], // first row: stays
    ["PageDown", 1 + 4 * cols],
    ["ArrowLeft", 4 * cols],
    ["End", order.length - 1],
    ["ArrowDown", order.length - 1], // last row: stays
    ["PageUp", order.length - 1 - 4 * cols],
    ["Home", 0],
    ["PageUp", 0],
  ];
  for (const [key, at] of expect) {
    await press(page, key);
    assert.equal(await selected(), order[at], `${key}: tile ${at} (channel ${order[at]})`);
  }
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "CANVAS", "the grid keeps the focus");
  assert.match(await page.getAttribute("#view-features .feature-grid canvas", "aria-label"), new RegExp(`channel ${order[0]} selected, 1 of ${order.length}`));
  assert.equal(await page.evaluate(() => window.scrollY), 0, "the keys did not scroll the page");
});

test("1–4 switch views from a drop-down and from the slider; not while typing a number", async () => {
  await press(page, "1");
  const cmap = await page.evaluate(() => window.camscopeDebug.state.cmap);
  const layer = await page.evaluate(() => window.camscopeDebug.state.layer);
  await page.focus("#layer");
  await press(page, "2");
  assert.equal(await view(), "features", "2 on the layer drop-down");
  await page.focus("#cmap");
  await press(page, "3");
  assert.equal(await view(), "compare", "3 on the colour drop-down");
  await page.focus("#opacity");
  await press(page, "4");
  assert.equal(await view(), "teach", "4 on the opacity slider");
  await page.focus("#focus-class");
  await press(page, "1");
  assert.equal(await view(), "explain", "1 on the class drop-down");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.cmap), cmap, "the drop-downs kept their values");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.layer), layer);
  // The number box takes digits as digits.
  await page.click('#norm input[value="raw"]', { force: true });
  await idle(page);
  await page.focus("#raw-max");
  await press(page, "2");
  assert.equal(await view(), "explain", "2 typed into “Bar top” stays a digit");
  assert.equal(await page.inputValue("#raw-max"), "2");
  await page.fill("#raw-max", "");
  await page.dispatchEvent("#raw-max", "change");
  await page.click('#norm input[value="shared"]', { force: true });
  await idle(page);
});

test("Escape closes the error box; choosing a sample clears a stale error", async () => {
  const bad = { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture") };
  await page.setInputFiles("#file", bad);
  await idle(page);
  assert.equal((await message(page)).kind, "error");
  await page.focus("#layer");
  await press(page, "Escape");
  assert.equal(await message(page), null, "Escape closes the error");

  await page.setInputFiles("#file", bad);
  await idle(page);
  await page.focus("#message-close");
  await press(page, "Escape");
  assert.equal(await message(page), null, "Escape on the close button too");
  assert.notEqual((await focused(page)).tag, "BODY", "the focus goes to the main view, not the page");

  await page.setInputFiles("#file", bad);
  await idle(page);
  await page.focus('button[data-sample="cat.jpg"]');
  await press(page, "Enter");
  assert.equal(await message(page), null, "a sample chosen with the keyboard clears the error");
  await page.setInputFiles("#file", bad);
  await idle(page);
  await page.click('button[data-sample="dog.jpg"]');
  await idle(page);
  assert.equal(await message(page), null, "a sample clicked clears the error");
  assert.equal((await lastMaps(page)).pictureName, "dog.jpg");
});

// Issue 9's pickers by keys alone: Tab reaches the methods picker, Enter opens it, Tab walks
// its checkboxes, Space ticks one (a row appears), Escape closes it and gives the focus back
// to its button; the same for the fuse picker (Space on two layers: a fused row).
test("the methods and fuse pickers by keyboard", async () => {
  await press(page, "1");
  await page.focus("#layer");
  let f;
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    f = await focused(page);
    if (f.id === "methods-summary") break;
  }
  assert.equal(f.id, "methods-summary", "Tab from the layer picker reaches the methods picker");
  await press(page, "Enter");
  assert.equal(await page.evaluate(() => document.querySelector("#methods-picker").open), true, "Enter opens it");
  let ticked = null;
  for (let i = 0; i < 6 && !ticked; i++) {
    await page.keyboard.press("Tab");
    const m = await page.evaluate(() => document.activeElement.dataset.method || null);
    if (m && !(await page.evaluate(() => document.activeElement.checked))) ticked = m;
  }
  assert.ok(ticked, "Tab walks the checkboxes");
  await press(page, "Space");
  assert.ok((await page.evaluate(() => window.camscopeDebug.state.methods)).includes(ticked), `Space ticks ${ticked}`);
  assert.ok((await lastMaps(page)).maps[ticked], `its maps are drawn (${ticked})`);
  await press(page, "Escape");
  assert.equal(await page.evaluate(() => document.querySelector("#methods-picker").open), false, "Escape closes it");
  assert.equal((await focused(page)).id, "methods-summary", "… and the focus is back on its button");
  await page.focus("#fuse-summary");
  await press(page, "Enter");
  for (let n = 0; n < 2; ) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => !!document.activeElement.dataset.layer)) {
      await press(page, "Space");
      n++;
    }
  }
  await press(page, "Escape");
  assert.equal((await focused(page)).id, "fuse-summary");
  const rows = await page.$$eval("#view-explain canvas[data-method]", (cs) => [...new Set(cs.map((c) => c.dataset.method))]);
  assert.deepEqual([...rows].sort(), ["fused", "gradcam", "layercam", ticked].sort(), `rows: ${rows.join(", ")}`);
  assert.deepEqual(seen.errors, []);
  await context.close();
});
