// Issue 10, "runs in the worker with progress and cancellation": the "Is it right?" view's
// runs report progress (a progress bar and "k of n forward passes"), stop on the visible
// Cancel button without finishing (and are not restarted until Run is pressed), and are
// cancelled by a picture change, a layer change and new settings; the sanity check and the
// set run cancel the same way, keeping what they finished. No error message on the way, and
// the page answers at once afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, startServer, openPage, idle, message } from "./helpers.mjs";

let browser;
let server;
let page;
let context;
let seen;
before(async () => {
  browser = await launch();
  server = await startServer();
  ({ page, context, seen } = await openPage(browser, `${server.url}?picture=both.png`, { viewport: { width: 1280, height: 800 } }));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

// Waits until the part's job (another one than `before`) has made progress; returns
// {key, done, total}.
async function running(kind, before = null) {
  await page.waitForFunction(([k, b]) => {
    const j = window.camscopeDebug.right.jobs[k];
    return j && j.done > 0 && j.key !== b;
  }, [kind, before], { timeout: 60000 });
  return page.evaluate((k) => {
    const j = window.camscopeDebug.right.jobs[k];
    return { key: j.key, done: j.done, total: j.total };
  }, kind);
}

async function runs() {
  return page.evaluate(() => window.camscopeDebug.right.runs.map((r) => ({ kind: r.kind, key: r.key, status: r.status })));
}

async function ui() {
  return page.evaluate(() => {
    const v = document.querySelector("#view-right");
    const run = v.querySelector("button.run");
    const bar = v.querySelector("progress");
    return { button: run.textContent, disabled: run.getAttribute("aria-disabled"), bar: !bar.hidden, status: v.querySelector(".right-status").textContent };
  });
}

test("progress is shown, Cancel stops the run before its end and it stays stopped", async () => {
  await page.keyboard.press("5");
  const job = await running("picture");
  assert.equal(job.total, 3 * 2 * 2 * 51, "Grad-CAM, Layer-CAM and the random map, 2 classes, 2 curves of 51 points");
  const during = await ui();
  assert.equal(during.button, "Cancel", "the visible button cancels");
  assert.ok(during.bar, "a progress bar");
  assert.match(during.status, /^\d+ of 612 forward passes · \d+\.\d s$/);
  await page.click("#view-right button.run");
  await idle(page);
  const r = (await runs()).at(-1);
  assert.deepEqual([r.kind, r.key, r.status], ["picture", job.key, "cancelled"]);
  const after = await ui();
  assert.equal(after.button, "Run");
  assert.equal(after.disabled, "false");
  assert.ok(!after.bar);
  assert.match(after.status, /^Cancelled\./);
  const rows = await page.evaluate(() => window.camscopeDebug.right.picture.rows.length);
  assert.ok(rows < 6, `stopped before the end (${rows} of 6 maps scored)`);
  assert.equal(await message(page), null, "a cancel is not an error");
  // Leaving the view and coming back does not start it again.
  const count = (await runs()).length;
  await page.keyboard.press("1");
  await idle(page);
  await page.keyboard.press("5");
  await idle(page);
  assert.equal(await page.evaluate(() => window.camscopeDebug.right.jobs.picture), null, "nothing running");
  assert.equal((await runs()).length, count);
  // Run continues (here with 10 steps: a new setting runs by itself).
  await page.selectOption("#right-steps", "10");
  await idle(page);
  assert.equal((await runs()).at(-1).status, "done");
  assert.equal((await ui()).disabled, "true", "done: nothing left to run");
});

test("a picture change, a layer change and new settings cancel a run", async () => {
  await page.selectOption("#right-steps", "50");
  await page.click('button[data-sample="cat.jpg"]');
  const cat = await running("picture");
  await page.click('button[data-sample="dog.jpg"]');
  const dog = await running("picture", cat.key);
  assert.notEqual(dog.key, cat.key);
  let log = await runs();
  assert.ok(log.some((r) => r.key === cat.key && r.status === "cancelled"), "the picture change cancelled cat.jpg's run");
  const layers = await page.$$eval("#layer option", (o) => o.map((x) => x.value));
  await page.selectOption("#layer", layers[1]);
  const other = await running("picture", dog.key);
  log = await runs();
  assert.ok(log.some((r) => r.key === dog.key && r.status === "cancelled"), "the layer change cancelled dog.jpg's run");
  await page.selectOption("#right-insertion", "mean");
  await page.waitForFunction((k) => window.camscopeDebug.right.runs.some((r) => r.key === k), other.key);
  log = await runs();
  assert.ok(log.some((r) => r.key === other.key && r.status === "cancelled"), "new settings cancelled the run for the old ones");
  await page.selectOption("#layer", layers[0]);
  await page.selectOption("#right-insertion", "blur");
  await page.selectOption("#right-steps", "10");
  await idle(page);
  assert.equal((await runs()).at(-1).status, "done");
  assert.equal(await message(page), null);
});

test("the sanity check and the set run cancel too, keeping what they finished", async () => {
  await page.click('#view-right .right-parts button[data-part="sanity"]');
  const sanity = await running("sanity");
  assert.ok(sanity.total > 5, `${sanity.total} randomisation steps`);
  assert.equal((await ui()).button, "Cancel");
  await page.click("#view-right button.run");
  await idle(page);
  assert.deepEqual((await runs()).at(-1), { kind: "sanity", key: sanity.key, status: "cancelled" });
  assert.match((await ui()).status, /^Cancelled\./);
  await page.click("#view-right button.run");
  await idle(page);
  assert.equal((await runs()).at(-1).status, "done", "Run computes it");
  assert.ok(await page.evaluate(() => window.camscopeDebug.right.sanity.nodes.length > 5));

  await page.click('#view-right .right-parts button[data-part="set"]');
  await page.selectOption("#right-steps", "50");
  await idle(page);
  await page.click("#view-right button.run");
  await page.waitForFunction(() => {
    const j = window.camscopeDebug.right.jobs.set;
    return j && j.done >= 1 && j.step[0] > 0;
  }, null, { timeout: 120000 });
  await page.click("#view-right button.run");
  await idle(page);
  const last = (await runs()).at(-1);
  assert.deepEqual([last.kind, last.status], ["set", "cancelled"]);
  const kept = await page.evaluate(() => window.camscopeDebug.right.set.rows.length);
  assert.ok(kept >= 3 && kept < 9, `the first picture's rows are kept, not all (${kept} of 9)`);
  assert.equal(await message(page), null);
  assert.deepEqual(seen.errors, []);
  await context.close();
});
