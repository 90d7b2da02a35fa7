// Issue 10 with the page's rules for access and layout: "Is it right?" passes axe-core with
// zero violations in each part and state (running, done, cancelled, a definition open, the set
// before and after scoring, large type); everything in it is reachable with Tab, a part
// button keeps the focus, a definition opens with Enter and Escape brings the focus back;
// the charts and maps carry text alternatives; "This picture" and "Sanity check" fit the window
// without scrolling at 1280×720 and 1024×768 (normal and large type), and no part scrolls
// sideways.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, startServer, openPage, idle } from "./helpers.mjs";
import { axeViolations, press, focused, pageScroll } from "./audit_helpers.mjs";
import { openRight } from "./right_helpers.mjs";

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

async function part(page, p) {
  await page.click(`#view-right .right-parts button[data-part="${p}"]`);
  await idle(page);
}

test("axe-core: no violation in any part or state of Is it right?", async (t) => {
  const { page, context, seen } = await openPage(browser, `${server.url}?picture=both.png`, { viewport: { width: 1280, height: 800 } });
  const found = [];
  const audit = async (what) => {
    for (const v of await axeViolations(page)) found.push(`${what}: ${v}`);
  };
  await page.keyboard.press("5");
  await page.waitForFunction(() => window.camscopeDebug.right.jobs.picture && window.camscopeDebug.right.jobs.picture.done > 0, null, { timeout: 60000 });
  await audit("This picture, running");
  await page.click("#view-right button.run");
  await idle(page);
  await audit("This picture, cancelled");
  await openRight(page, { steps: 10 });
  await audit("This picture, done");
  await page.click('#view-right button.def[data-def="drop"]');
  assert.equal(await page.isVisible("#view-right dialog.right-def"), true);
  await audit("a definition open");
  await page.keyboard.press("Escape");
  await part(page, "sanity");
  await audit("Sanity check, done");
  await part(page, "set");
  await audit("Over the pictures, not scored");
  await page.click("#view-right button.run");
  await idle(page);
  await audit("Over the pictures, scored");
  await press(page, "l");
  for (const p of ["picture", "sanity", "set"]) {
    await part(page, p);
    await audit(`large type, ${p}`);
  }
  await press(page, "l");
  t.diagnostic(`${found.length} violations`);
  assert.deepEqual(found, []);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test("keyboard: Tab reaches every control; parts keep the focus; a definition opens and returns the focus", async () => {
  const { page, context, seen } = await openPage(browser, `${server.url}?picture=both.png`, { viewport: { width: 1280, height: 800 } });
  await openRight(page, { steps: 10 });
  await page.focus("#tab-right");
  const reached = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const a = document.activeElement;
      const inView = !!a.closest("#view-right");
      return { inView, tag: a.tagName, id: a.id, part: a.dataset.part || "", def: a.dataset.def || "", text: (a.textContent || "").trim().slice(0, 30), label: a.getAttribute("aria-label") || "" };
    });
    if (!f.inView && reached.length) break;
    if (f.inView) reached.push(f);
  }
  const has = (pred, what) => assert.ok(reached.some(pred), `Tab reaches ${what}: ${reached.map((r) => r.id || r.part || r.def || r.text).join(", ")}`);
  for (const p of ["picture", "sanity", "set"]) has((r) => r.part === p, `the part button ${p}`);
  has((r) => /^Save PNG: /.test(r.label), "Save PNG");
  for (const id of ["right-steps", "right-deletion", "right-insertion", "right-classes", "right-road-command"]) has((r) => r.id === id, id);
  has((r) => r.text === "Run", "Run");
  for (const d of ["deletion", "insertion", "drop", "increase", "random", "road"]) has((r) => r.def === d, `the definition of ${d}`);

  // A definition: Enter opens it with the focus inside, Escape closes it and returns the focus.
  await page.focus('#view-right button.def[data-def="insertion"]');
  await page.keyboard.press("Enter");
  assert.equal(await page.isVisible("#view-right dialog.right-def"), true);
  const inside = await page.evaluate(() => document.querySelector("#view-right dialog.right-def").contains(document.activeElement));
  assert.ok(inside, "the focus is in the definition");
  const text = await page.textContent("#view-right dialog.right-def");
  assert.match(text, /Insertion AUC/);
  assert.match(text, /Petsiuk/);
  await page.keyboard.press("Escape");
  assert.equal(await page.isVisible("#view-right dialog.right-def"), false);
  assert.deepEqual(await page.evaluate(() => document.activeElement.dataset.def), "insertion", "back on the button that opened it");

  // A part button pressed from the keyboard keeps the focus; keys still switch views.
  await page.focus('#view-right .right-parts button[data-part="sanity"]');
  await press(page, "Enter");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.rightPart), "sanity");
  assert.equal((await page.evaluate(() => document.activeElement.dataset.part)), "sanity", "the focus stays on the part button");
  const alts = await page.$$eval("#view-right canvas[role=img]", (cs) => cs.map((c) => c.getAttribute("aria-label") || ""));
  assert.ok(alts.length > 10 && alts.every((a) => a.length > 10), "every chart and map says what it shows");
  assert.ok(alts.some((a) => /re-initialised: ρ = /.test(a)));
  await press(page, "1");
  assert.equal(await page.evaluate(() => window.camscopeDebug.state.view), "explain");
  const f = await focused(page);
  assert.notEqual(f.tag, undefined);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

for (const [width, height] of [
  [1280, 720],
  [1024, 768],
]) {
  test(`${width}×${height}: the parts fit without scrolling (normal and large type)`, async (t) => {
    const { page, context, seen } = await openPage(browser, `${server.url}?picture=both.png`, { viewport: { width, height } });
    await openRight(page, { steps: 10 });
    const sizes = [];
    for (const mode of ["normal", "large"]) {
      if (mode === "large") await press(page, "l");
      for (const p of ["picture", "sanity", "set"]) {
        await part(page, p);
        if (p === "set" && mode === "normal") {
          await page.click("#view-right button.run");
          await idle(page);
        }
        const s = await pageScroll(page);
        if (shots) await page.screenshot({ path: join(shots, `right_${width}x${height}_${mode}_${p}.png`) });
        assert.ok(s.x <= 0, `${mode} ${p} scrolls sideways (${s.x} px)`);
        if (p !== "set") assert.ok(s.y <= 0, `${mode} ${p} scrolls down (${s.y} px)`);
        if (p === "picture") sizes.push(await page.evaluate(() => Math.round(document.querySelector("#view-right .curve-cell canvas").getBoundingClientRect().height)));
      }
    }
    t.diagnostic(`curve charts ${sizes.join(" -> ")} px high (normal -> large type)`);
    assert.ok(sizes.every((s) => s >= 70), `charts of at least 70 px: ${sizes}`);
    assert.deepEqual(seen.errors, []);
    await context.close();
  });
}
