#!/usr/bin/env node
// The page's cold start, as a new user meets it: web/index.html opened from file:// in Debian's
// chromium (playwright-core, as tests/browser/helpers.mjs drives it), each load in a fresh
// browser context. Reads the phases from the page's own hooks (camscopeDebug.phases(): ms since
// navigation when each step ended; engine.js markPhase), then times a few warm forwards by
// clicking the other samples, and prints the median (min–max) of every phase and one JSON line.
//
//   node bench/cold_start.mjs [--loads 5] [--url URL[,URL2...]] [--json FILE]
// Several URLs (e.g. a copy of the page before a change) are loaded interleaved, URL after
// URL in each round, so that the machine's load weighs on them alike.
import { launch, FILE_URL } from "../tests/browser/helpers.mjs";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const loads = Number(option("--loads", "5"));
const urls = option("--url", FILE_URL).split(",");

// The phases in the order the page goes through them (absent ones are skipped).
const ORDER = [
  "domContentLoaded", "boot", "coreScript", "workerCreated", "workerStart", "initReceived", "weightsScript", "weightsReceived", "weightsDecoded",
  "compiled", "weightsLoaded", "warmedUp", "ready", "initAnswered", "samples", "forward", "backward", "firstMap",
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

// One cold load: the phases, the first forward's time and three warm forwards'.
async function coldLoad(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.camscopeDebug && (window.camscopeDebug.firstMapMs !== null || window.camscopeDebug.error), null, {
    timeout: 60000,
  });
  // A page from before the hooks: the first map and the first forward only.
  const phases = await page.evaluate(() => {
    const d = window.camscopeDebug;
    return d.phases ? d.phases() : { firstMap: d.firstMapMs, forwardMs: d.state.timings.forwardMs };
  });
  const error = await page.evaluate(() => window.camscopeDebug.error);
  if (error || errors.length) throw new Error(`the page failed: ${error || errors.join("; ")}`);
  const warm = [];
  await page.evaluate(() => window.camscopeDebug.idle());
  for (const sample of ["cat.jpg", "dog.jpg", "both.png", "cat.jpg"]) {
    await page.click(`button[data-sample="${sample}"]`);
    await page.waitForTimeout(30);
    await page.evaluate(() => window.camscopeDebug.idle());
    warm.push(await page.evaluate(() => window.camscopeDebug.state.timings.forwardMs));
  }
  const mode = await page.evaluate(() => `${window.camscopeDebug.mode}, simd ${window.camscopeDebug.simd}`);
  await context.close();
  return { phases, warm, mode };
}

const browser = await launch();
const byUrl = new Map(urls.map((u) => [u, []]));
try {
  for (let i = 0; i < loads; i++) for (const url of urls) byUrl.get(url).push(await coldLoad(browser, url));
} finally {
  await browser.close();
}

const version = execFileSync(process.env.CAMSCOPE_CHROMIUM || "/usr/bin/chromium", ["--version"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
const summaries = [];
console.log(`load: ${execFileSync("uptime").toString().trim()}`);
for (const [url, runs] of byUrl) {
  const names = ORDER.filter((n) => runs.every((r) => n in r.phases));
  console.log(`\ncold start: ${url}, ${version}, ${runs[0].mode}; ${loads} loads, each a fresh context (interleaved with ${urls.length - 1} other URLs)`);
  console.log("| phase | ends at, ms after navigation | step, ms |");
  console.log("| --- | ---: | ---: |");
  let prev = null;
  for (const n of names) {
    const at = runs.map((r) => r.phases[n]);
    const step = prev ? runs.map((r) => r.phases[n] - r.phases[prev]) : at;
    console.log(`| ${n} | ${fmt(at)} | ${fmt(step)} |`);
    prev = n;
  }
  const firstForward = runs.map((r) => r.phases.forwardMs);
  const warmForward = runs.map((r) => median(r.warm.slice(1))); // the first click may still be in baseline-tier code
  const ratio = runs.map((r, i) => firstForward[i] / warmForward[i]);
  console.log(`first forward (worker) ${fmt(firstForward)} ms; warm forward ${fmt(warmForward)} ms; ratio ${fmt(ratio)}`);
  console.log(`first map ${fmt(runs.map((r) => r.phases.firstMap))} ms after navigation`);
  summaries.push({
    url,
    chromium: version,
    loads,
    phases: Object.fromEntries(names.map((n) => [n, median(runs.map((r) => r.phases[n]))])),
    firstForwardMs: median(firstForward),
    warmForwardMs: median(warmForward),
    ratio: median(ratio),
    firstMapMs: median(runs.map((r) => r.phases.firstMap)),
    runs,
  });
}
console.log(`load: ${execFileSync("uptime").toString().trim()}`);
const json = option("--json", "");
if (json) writeFileSync(json, JSON.stringify(summaries, null, 1));
