// Issue 14: "Print lab report" (web/src/report.js) lays out the Compare view's figures for
// paper. The page is printed to PDF by Chromium (page.pdf, the print stylesheet), the pages
// are turned into PNG by poppler's pdftoppm, and the test checks the page count and that no
// figure is cut at a page's end: every figure has a border, so a cut one leaves ink on the
// first or last row of a page's printable area. The same check on a layout without
// break-inside: avoid must find a cut (so the check can fail). The report's header is
// checked against the weights file's own CRC-32 and SHA-256. CAMSCOPE_SHOTS=DIR keeps the
// report's PDF and page PNGs there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, startServer, openPage, idle, SHIPPED_WEIGHTS } from "./helpers.mjs";

const DPI = 72;
const MARGIN_MM = 12; // style.css: @page { margin: 12mm }
let browser;
let server;
let page;
let seen;
const work = mkdtempSync(join(tmpdir(), "camscope-print-"));

before(async () => {
  browser = await launch();
  server = await startServer();
  ({ page, seen } = await openPage(browser, server.url, { viewport: { width: 1280, height: 900 } }));
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  rmSync(work, { recursive: true, force: true });
});

// CRC-32 (zlib's polynomial), written again here.
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
}

// Prints the page to PDF; returns pdfinfo's page count and, per page PNG, the figures' pieces
// on it: every figure is a block with a border across the printable width, so its left border
// is a vertical run of ink at the left margin, and a whole figure has a horizontal border line
// at both ends of that run; a figure cut at a page's end has a piece without one.
async function printed(name) {
  const pdf = join(work, `${name}.pdf`);
  await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [pdf], { encoding: "utf8" }))[1]);
  execFileSync("pdftoppm", ["-r", String(DPI), "-png", pdf, join(work, name)]);
  const pngs = readdirSync(work).filter((f) => f.startsWith(`${name}-`) && f.endsWith(".png")).sort();
  if (process.env.CAMSCOPE_SHOTS && name === "report") {
    mkdirSync(process.env.CAMSCOPE_SHOTS, { recursive: true });
    for (const f of [`${name}.pdf`, ...pngs]) copyFileSync(join(work, f), join(process.env.CAMSCOPE_SHOTS, f));
  }
  const result = [];
  for (const f of pngs) {
    const b64 = readFileSync(join(work, f)).toString("base64");
    result.push(await page.evaluate(async ([data, marginMm, dpi]) => {
      const bin = atob(data);
      const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const c = document.createElement("canvas");
      c.width = bitmap.width;
      c.height = bitmap.height;
      const ctx = c.getContext("2d");
      ctx.drawImage(bitmap, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      const W = c.width, H = c.height;
      const inked = (x, y) => px[4 * (y * W + x)] < 220;
      const m = Math.round((marginMm / 25.4) * dpi);
      // Ink outside the printable area (there must be none).
      let outside = 0;
      for (const y of [m - 3, H - m + 2]) for (let x = 0; x < W; x++) if (inked(x, y)) outside++;
      // The figures' left border: the column near the left margin with the most ink.
      let xl = m, best = -1;
      for (let x = m - 3; x <= m + 6; x++) {
        let n = 0;
        for (let y = 0; y < H; y++) if (inked(x, y)) n++;
        if (n > best) [best, xl] = [n, x];
      }
      const line = (y) => {
        if (y < 0 || y >= H) return false;
        let n = 0;
        for (let x = m; x < W - m; x++) if (inked(x, y)) n++;
        return n >= 0.9 * (W - 2 * m);
      };
      const closed = (y) => [y - 1, y, y + 1, y + 2, y - 2].some(line);
      const pieces = [];
      for (let y = 0; y < H; ) {
        if (!inked(xl, y)) {
          y++;
          continue;
        }
        let y1 = y;
        while (y1 + 1 < H && (inked(xl, y1 + 1) || (y1 + 2 < H && inked(xl, y1 + 2)))) y1++;
        if (y1 - y >= 30) pieces.push({ top: y, bottom: y1, whole: closed(y) && closed(y1) });
        y = y1 + 1;
      }
      return { width: W, height: H, outside, pieces };
    }, [b64, MARGIN_MM, DPI]));
  }
  return { pages, result };
}

// The number of figure pieces and of pieces without a border line at an end (cut).
function cutsOf(printout) {
  const pieces = printout.result.flatMap((p) => p.pieces);
  return { pieces: pieces.length, cut: pieces.filter((p) => !p.whole).length };
}

test("Print lab report: the Compare view's figures on whole pages, with the model's hashes", async () => {
  await page.click("#tab-compare");
  await page.waitForFunction(() => {
    const b = document.querySelector("#print-report");
    return b && !b.disabled;
  }, null, { timeout: 120000 });
  await idle(page);
  await page.evaluate(() => {
    window.printed = 0;
    window.print = () => {
      window.printed++;
    };
  });
  await page.click("#print-report");
  await page.waitForFunction(() => window.printed === 1, null, { timeout: 30000 });

  // The header: model name and hashes (the weights file's own), layer, methods, normalisation, colours.
  const report = await page.evaluate(() => {
    const r = document.querySelector("#report");
    const facts = Object.fromEntries(Array.from(r.querySelectorAll(".report-facts tr"), (tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
    return {
      title: r.querySelector("h1").textContent,
      facts,
      tables: Array.from(r.querySelectorAll(".report-table h2"), (e) => e.textContent),
      figures: Array.from(r.querySelectorAll(".report-figure figcaption"), (e) => e.textContent),
      pictures: window.camscopeDebug.state.pictures.length,
      model: window.camscopeDebug.state.model.name,
      bar: r.querySelector(".report-bar").naturalWidth,
    };
  });
  const bytes = readFileSync(SHIPPED_WEIGHTS);
  assert.equal(report.title, "camscope lab report");
  assert.match(report.facts.Model, new RegExp(`^${report.model}`));
  assert.equal(report.facts["CRC-32"], crc32(bytes));
  assert.equal(report.facts["SHA-256"], createHash("sha256").update(bytes).digest("hex"));
  assert.match(report.facts.Layer, /features\.14 13×13 \(256 channels\)/);
  assert.equal(report.facts.Methods, "Grad-CAM, Layer-CAM");
  assert.match(report.facts.Normalisation, /shared/);
  assert.match(report.facts["Colour scale"], /^Viridis: dark purple = 0, yellow = the top of the scale$/); // and the colour bar …
  assert.ok(report.bar > 100, "… drawn");
  assert.equal(report.pictures, 3);
  assert.deepEqual(report.tables, ["Grad-CAM", "Layer-CAM", "Grad-CAM vs Layer-CAM — predicted class"]);
  assert.equal(report.figures.length, 3 * report.pictures, "a figure per table and picture");

  // On paper: only the report, several A4 pages, no figure cut.
  const good = await printed("report");
  // After printing, the page prints as itself again (Ctrl+P is not the report).
  assert.equal(await page.evaluate(() => document.body.classList.contains("has-report")), false);
  assert.equal(good.result.length, good.pages, "pdftoppm made a PNG per page");
  const a4 = good.result[0];
  assert.ok(Math.abs(a4.width / a4.height - 210 / 297) < 0.01, `A4 pages (${a4.width} x ${a4.height})`);
  assert.ok(good.pages >= 2 && good.pages <= report.figures.length + 1, `${good.pages} pages for ${report.figures.length} figures`);
  good.result.forEach((p, i) => assert.equal(p.outside, 0, `page ${i + 1}: nothing printed in the margins`));
  const whole = cutsOf(good);
  assert.deepEqual(whole, { pieces: report.figures.length, cut: 0 }, "every figure whole on one page");
  console.log(`print: ${good.pages} pages, ${report.figures.length} figures, pieces per page ${good.result.map((p) => p.pieces.length).join(" ")}`);

  // The check can fail. Chromium never slices a picture shorter than a page (it moves it to
  // the next page), so what break-inside: avoid keeps together is a figure's picture and its
  // caption: with a caption made 110 mm tall, every figure still fits a page. With
  // break-inside: auto the figures are cut between picture and caption, and the check must
  // see it; with the report's own rule they must stay whole.
  const tall = "#report figcaption { padding-top: 110mm !important; }";
  for (const [rule, expectCut] of [["auto", true], ["avoid", false]]) {
    const handle = await page.addStyleTag({
      content: `@media print { ${tall} #report .report-figure { break-inside: ${rule} !important; page-break-inside: ${rule} !important; } }`,
    });
    // (Printing fires "afterprint", after which the page prints as itself: the report again.)
    await page.evaluate(() => document.body.classList.add("has-report"));
    const out = await printed(`tall-${rule}`);
    await handle.evaluate((n) => n.remove());
    const c = cutsOf(out);
    console.log(`print: tall captions, break-inside: ${rule}: ${out.pages} pages, ${c.pieces} pieces, ${c.cut} cut`);
    if (expectCut) assert.ok(c.cut > 0 && c.pieces > report.figures.length, `break-inside: auto: the check sees the cut figures (${JSON.stringify(c)})`);
    else assert.deepEqual(c, { pieces: report.figures.length, cut: 0 }, "break-inside: avoid: every tall figure whole");
  }
  assert.deepEqual(seen.errors, []);
});
