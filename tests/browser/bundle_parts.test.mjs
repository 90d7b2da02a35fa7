// What tools/bundle_web.mjs made smaller must mean the same: the served style sheet (comments
// and white space taken out of web/src/style.css) has the source's rules, as Chromium parses
// them; the samples' JPEGs (re-coded by jpegtran) and WebP (both.png) decode to the pixels of
// the files in web/samples (Debian's Python and Pillow).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { chromium } from "playwright-core";
import { CHROMIUM, WEB } from "./helpers.mjs";

const PYTHON = "/usr/bin/python3";

test("the served style sheet has the source's rules", async () => {
  const source = readFileSync(join(WEB, "src", "style.css"), "utf8");
  const served = readFileSync(join(WEB, "style.css"), "utf8");
  assert.ok(served.length < source.length * 0.95, `served ${served.length} bytes, source ${source.length}`);
  assert.equal((served.match(/\/\*/g) || []).length, 1, "only the generated-file header is a comment");
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage();
    // Chromium keeps a custom property's value as written: ", " and "," differ there only.
    const rules = (css) =>
      page.evaluate((text) => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(text);
        return [...sheet.cssRules].map((r) => r.cssText.replace(/, /g, ","));
      }, css);
    const a = await rules(source);
    const b = await rules(served);
    assert.ok(a.length > 100, `${a.length} rules parsed from the source`);
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++) assert.equal(b[i], a[i], `rule ${i}`);
  } finally {
    await browser.close();
  }
});

test("the embedded samples decode to the pictures' pixels", { skip: !existsSync(PYTHON) && `no ${PYTHON}` }, () => {
  const scope = {};
  vm.runInNewContext(readFileSync(join(WEB, "samples.js"), "utf8"), { self: scope });
  assert.equal(scope.camscopeSamples.length, 3);
  const dir = mkdtempSync(join(tmpdir(), "camscope-samples-"));
  try {
    const pairs = scope.camscopeSamples.map((s) => {
      const embedded = join(dir, s.file);
      writeFileSync(embedded, Buffer.from(s.base64, "base64"));
      return [join(WEB, "samples", s.file), embedded];
    });
    const script = `
import sys
from PIL import Image
for a, b in zip(sys.argv[1::2], sys.argv[2::2]):
    x, y = Image.open(a), Image.open(b)
    x.load(); y.load()
    print(a, x.size == y.size and x.mode == y.mode and x.tobytes() == y.tobytes(), y.format)
`;
    const out = execFileSync(PYTHON, ["-c", script, ...pairs.flat()], { encoding: "utf8" });
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 3);
    for (const line of lines) assert.match(line, / True (JPEG|WEBP|PNG)$/, line);
    // Smaller than the files, or the bundle kept the file itself.
    for (const [file, embedded] of pairs) assert.ok(readFileSync(embedded).length <= readFileSync(file).length, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
