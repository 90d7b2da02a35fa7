#!/usr/bin/env node
// Times the page's "Is it right?" view in headless Chromium (issue 10's speed goals: a
// deletion + an insertion curve of 50 steps for one method and one class in at most 1 s; the
// view for two methods x two classes in at most 4 s). A script, not a test.
//
//   node bench/right_speed.mjs [--reps 5]
//
// Needs the page built (tools/build.sh) and tests/browser's npm packages (tools/setup.sh
// --test). Each repetition opens the view on a sample picture it has not scored yet (the
// worker keeps curves per picture, so a picture change is what makes it compute again), with
// 50 steps and then with 10 (the "quick" setting), interleaved. Reported, median (min-max):
// - one curve pair: the worker's time for one method's deletion + insertion curves of one
//   class and its confidence terms (`rows[].ms`; Grad-CAM and Layer-CAM rows pooled);
// - the view: from the page asking to the numbers drawn (2 methods x 2 classes, plus the
//   random map every number is shown beside, as the view computes it), and the same without
//   the random map's rows (the sum of the method rows' worker times);
// - per forward pass: the view's time divided by its forward passes.
import { launch, startServer, openPage, idle } from "../tests/browser/helpers.mjs";

const args = process.argv.slice(2);
const reps = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : 5;

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median: mid, min: v[0], max: v[v.length - 1], n: v.length };
}

const browser = await launch();
const server = await startServer();
const { page, context } = await openPage(browser, `${server.url}?picture=both.png`, { viewport: { width: 1280, height: 800 } });
const version = browser.version();
// Park the view on "This picture" with 10 steps, done, so that each measured run starts clean.
await page.keyboard.press("5");
await page.waitForSelector("#right-steps");
await page.selectOption("#right-steps", "10");
await idle(page);

const samples = ["cat.jpg", "dog.jpg", "both.png"];
const results = { 50: { pair: [], view: [], noRandom: [], perForward: [] }, 10: { pair: [], view: [], noRandom: [], perForward: [] } };
let picture = -1; // cat.jpg first: the page shows (and the set-up scores) both.png
for (let r = 0; r < reps; r++) {
  for (const steps of [50, 10]) {
    // A picture whose curves the worker does not hold: leave the view, change the picture
    // (that clears the worker's curves), come back with the steps set.
    await page.keyboard.press("1");
    await idle(page);
    picture = (picture + 1) % samples.length;
    await page.click(`button[data-sample="${samples[picture]}"]`);
    await idle(page);
    // The view opens with the last steps; choosing others cancels that run and starts anew
    // (the run measured is the last one done, with these steps: checked below).
    await page.keyboard.press("5");
    await page.waitForSelector("#right-steps");
    await page.selectOption("#right-steps", String(steps));
    await page.waitForFunction((n) => window.camscopeDebug.state.rightSteps === n, steps);
    await idle(page);
    const run = await page.evaluate(() => {
      const runs = window.camscopeDebug.right.runs.filter((x) => x.kind === "picture" && x.status === "done");
      return runs[runs.length - 1];
    });
    // The view keeps its rows per picture and settings: a picture already scored at these
    // steps (the first picture shown, from the set-up) is not computed again; skip it.
    if (!run.key.includes(`|${steps}|`)) {
      process.stderr.write(`rep ${r + 1}/${reps}, ${steps} steps, ${samples[picture]}: already scored, skipped\n`);
      continue;
    }
    const methodRows = run.rows.filter((x) => x.method !== "random");
    const forwards = run.rows.length * 2 * (steps + 1);
    results[steps].pair.push(...methodRows.map((x) => x.ms));
    results[steps].view.push(run.ms);
    results[steps].noRandom.push(methodRows.reduce((a, x) => a + x.ms, 0));
    results[steps].perForward.push(run.workerMs / forwards);
    process.stderr.write(`rep ${r + 1}/${reps}, ${steps} steps, ${samples[picture]}: view ${Math.round(run.ms)} ms\n`);
  }
}
await context.close();
await browser.close();
await server.close();

const fmt = (s) => `${(s.median / 1000).toFixed(2)} s (${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)})`;
const out = { chromium: version, reps, date: new Date().toISOString().slice(0, 10) };
console.log(`"Is it right?" in Chromium ${version}, ${reps} reps, median (min–max)`);
console.log("| steps | one curve pair (1 method, 1 class) | view: 2 methods x 2 classes + random map | same without the random map | per forward pass |");
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const steps of [50, 10]) {
  const r = results[steps];
  const s = { pair: stats(r.pair), view: stats(r.view), noRandom: stats(r.noRandom), perForward: stats(r.perForward) };
  out[steps] = s;
  console.log(`| ${steps} | ${fmt(s.pair)} | ${fmt(s.view)} | ${fmt(s.noRandom)} | ${s.perForward.median.toFixed(1)} ms |`);
}
console.log(`JSON ${JSON.stringify(out)}`);
