// The folder table in Debian's firefox-esr (issue 12): twelve dropped photos predicted in the
// worker (decoded there on an OffscreenCanvas, thumbnails made by convertToBlob) equal the
// CLI's `classify`; skipped where Firefox is missing (firefox.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { launchFirefox, openFirefoxPage, firefoxMissing } from "./firefox.mjs";
import { startServer, existsSync, CLI, ROOT, SHIPPED_WEIGHTS } from "./helpers.mjs";

const VAL = join(ROOT, "..", "shared", "data", "catsdogs", "val");
const skip = firefoxMissing || (!existsSync(CLI) && `the CLI is not built (${CLI})`) || (!existsSync(VAL) && `no photos at ${VAL}`);
const PHOTOS = ["cat/cat.3000.jpg", "cat/cat.3001.jpg", "dog/dog.3000.jpg", "dog/dog.3001.jpg"].map((p) => join(VAL, p));

let ff;
let server;
before(async () => {
  if (skip) return;
  ff = await launchFirefox();
  server = await startServer();
});
after(async () => {
  if (ff) await ff.close();
  if (server) await server.close();
});

test("Firefox: dropped photos become the folder table, predictions equal the CLI's", { skip }, async (t) => {
  const cli = execFileSync(CLI, ["classify", ...PHOTOS, "--weights", SHIPPED_WEIGHTS], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
  const { page } = await openFirefoxPage(ff, server.url);
  // three copies of each photo, named "<photo>_<copy>.jpg": more than the 8 single pictures
  const files = PHOTOS.flatMap((p, i) => [0, 1, 2].map((k) => ({ name: `${i}_${k}.jpg`, b64: readFileSync(p).toString("base64") })));
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: "image/jpeg" }));
    document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    return true;
  }, files);
  await page.waitFor(() => window.camscopeDebug.folder.state && !window.camscopeDebug.folder.running, null, { timeoutMs: 60000, what: "the folder's run" });
  const rows = await page.evaluate(() => window.camscopeDebug.folder.rows.map((r) => ({ path: r.path, predicted: r.predicted, probabilities: r.probabilities, error: r.error })));
  assert.equal(rows.length, 12);
  let worst = 0;
  for (const r of rows) {
    const ref = cli[Number(r.path[0])];
    assert.equal(r.error, null, r.path);
    assert.equal(r.predicted, Number(ref[1]), r.path);
    ref[3].split(",").forEach((p, c) => (worst = Math.max(worst, Math.abs(r.probabilities[c] - Number(p)))));
  }
  assert.ok(worst < 1e-5, `probabilities within 1e-5 of the CLI's (worst ${worst})`);
  assert.equal(await page.evaluate(() => document.querySelectorAll("#folder tbody img").length), 12, "a thumbnail per photo");
  t.diagnostic(`Firefox: 12 rows, worst |probability - CLI's| ${worst.toExponential(2)}`);
});
