// Threads on the page (issue 11): served cross-origin isolated (tools/serve.py's headers) the
// page runs the threaded core when it was built (tools/build.sh --threads: web/camscope_core_mt.js)
// and says so; its logits and maps equal the single-threaded core's (?threads=off); without
// the headers, and from file://, it stays single-threaded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { launch, startServer, openPage, lastMaps, FILE_URL, WEB, ISOLATION_HEADERS } from "./helpers.mjs";

const built = existsSync(join(WEB, "camscope_core_mt.js"));
let browser;
let isolated;
let plain;
before(async () => {
  browser = await launch();
  isolated = await startServer(WEB, ISOLATION_HEADERS);
  plain = await startServer();
});
after(async () => {
  if (browser) await browser.close();
  if (isolated) await isolated.close();
  if (plain) await plain.close();
});

// What the page runs: isolation, the model line, the first maps and the console errors.
async function run(url) {
  const { page, context, seen } = await openPage(browser, url);
  const out = await page.evaluate(() => ({
    isolated: self.crossOriginIsolated,
    line: document.querySelector("#model-line").textContent,
    threads: window.camscopeDebug.state.model.threads,
    error: window.camscopeDebug.error,
  }));
  out.maps = await lastMaps(page);
  out.errors = seen.errors;
  await context.close();
  return out;
}

test("served cross-origin isolated: the threaded core, the same maps as one thread", { skip: !built && "web/camscope_core_mt.js is not built (tools/build.sh --threads)" }, async () => {
  const mt = await run(isolated.url);
  const st = await run(`${isolated.url}?threads=off`);
  assert.equal(mt.isolated, true);
  assert.equal(mt.error, null);
  assert.ok(mt.threads >= 1, "init says how many threads");
  assert.match(mt.line, mt.threads > 1 ? /\d threads/ : /WebAssembly SIMD/);
  assert.doesNotMatch(st.line, /threads/);
  assert.deepEqual(mt.maps.prediction.logits, st.maps.prediction.logits, "bit-identical logits");
  assert.deepEqual(mt.maps.maps, st.maps.maps, "bit-identical maps");
  assert.deepEqual(mt.errors, []);
  assert.ok(isolated.requests.some((r) => r.includes("camscope_core_mt.js")));
});

test("without the headers, and from file://, single-threaded", async () => {
  for (const url of [plain.url, FILE_URL]) {
    const r = await run(url);
    assert.equal(r.isolated, false, url);
    assert.equal(r.threads, 1, url);
    assert.doesNotMatch(r.line, /threads/, url);
    assert.deepEqual(r.errors, [], url);
  }
  assert.ok(!plain.requests.some((r) => r.includes("camscope_core_mt.js")), "the threaded core is not even loaded");
});
